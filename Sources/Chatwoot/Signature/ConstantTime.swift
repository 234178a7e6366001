/// Comparison whose running time does not depend on where two byte strings differ.
public enum ConstantTime {
    /// `true` when `lhs` and `rhs` hold the same bytes.
    ///
    /// Every byte is visited even after a difference is found, so the time taken reveals
    /// nothing about a secret-derived operand except its length (which is public here: an
    /// HMAC-SHA256 is always 32 bytes).
    public static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }
}
