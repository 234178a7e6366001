import Testing

@testable import Chatwoot

/// The comparison `WebhookSignature.verify` uses for the HMAC. Timing itself is not asserted
/// (no timing in tests); these check the function visits all bytes' worth of cases correctly.
struct ConstantTimeTests {
    @Test func equalBytesCompareEqual() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
    }

    @Test func anyDifferingByteIsDetected() {
        let base = [UInt8](repeating: 0xAB, count: 32)
        for index in base.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var other = base
                other[index] ^= flip
                #expect(!ConstantTime.equals(base, other))
            }
        }
    }

    @Test func differentLengthsAreUnequal() {
        #expect(!ConstantTime.equals([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([UInt8](), [0] as [UInt8]))
    }
}
