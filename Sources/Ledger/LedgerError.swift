/// Errors raised by the ledger. Each says what happened, where, and what to do about it.
public struct LedgerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The data directory does not contain a ledger.
        case notFound
        /// The directory holds files that are not a Ledgerbot ledger (or of another version).
        case foreign
        /// Another process holds the writer lock.
        case locked
        /// A checksum, hash-chain or structure check failed somewhere other than the torn tail.
        case corrupted
        /// An I/O operation failed (disk full, file size limit, permissions …).
        case io
        /// The caller passed something the ledger cannot store.
        case invalidArgument
        /// The ledger was closed, or stopped accepting writes after an unrecoverable write error.
        case closed
        /// The SQLite index is missing, stale or belongs to another ledger.
        case index
        /// An append made for a lease this instance no longer holds (another instance took it
        /// over): refused, so that two instances never decide the same input.
        case fenced
    }

    public let kind: Kind
    public let message: String
    /// For ``Kind/corrupted``: where the problem is.
    public let location: Location?

    /// A place in the ledger files.
    public struct Location: Sendable, Equatable, CustomStringConvertible {
        public var segment: String
        public var offset: Int64
        /// The first seq of the frame at `offset`, when it could be read.
        public var seq: Seq?
        public init(segment: String, offset: Int64, seq: Seq?) {
            self.segment = segment
            self.offset = offset
            self.seq = seq
        }
        public var description: String {
            "segment \(segment), byte offset \(offset)" + (seq.map { ", seq \($0)" } ?? "")
        }
    }

    public init(_ kind: Kind, _ message: String, location: Location? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(message) at \(location)" }
        return message
    }

    static func io(_ what: String, path: String, errno code: Int32) -> LedgerError {
        LedgerError(.io, "\(what) \(path): \(String(cString: strerror(code))) (errno \(code))")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
