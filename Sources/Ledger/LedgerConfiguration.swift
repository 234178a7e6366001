/// How a ``FileLedger`` writes. Defaults suit production.
public struct LedgerConfiguration: Sendable {
    public enum Durability: String, Sendable, CaseIterable {
        /// An append returns only after `fdatasync` made its frame durable (group commit).
        case fsync
        /// An append returns after `write`; a crash may lose the last appends. Benchmarks and tests only.
        case none
    }

    public var durability: Durability = .fsync
    /// A segment is closed and a new one started once it reaches this size.
    public var segmentSize: Int64 = 64 << 20
    /// zlib level for new frames (1 fastest … 9 smallest).
    public var compressionLevel: Int32 = 6
    /// Threads compressing frames in parallel (frames are still written in order).
    public var compressionThreads = 2
    /// The preset dictionary new segments are written with.
    public var dictionary: CompressionDictionary = .current
    /// Dictionaries to read besides the built-in ones.
    public var additionalDictionaries: [CompressionDictionary] = []
    /// A frame collects queued appends up to this many uncompressed bytes (one append is never split).
    public var maxFrameBytes: Int = 1 << 20
    /// Keep `DATA/index.sqlite` up to date while appending.
    public var maintainIndex = true

    public init() {}

    var readableDictionaries: [CompressionDictionary] {
        [dictionary] + additionalDictionaries + CompressionDictionary.builtIn
    }
}

/// What opening a ledger found and did.
public struct OpenReport: Sendable, Equatable {
    /// The torn last frame that was truncated, if any.
    public var truncated: TornTail?
    /// Bytes moved to the quarantine folder by an explicit repair.
    public var quarantined: [String] = []
    /// Events found in the ledger.
    public var headSeq: Seq = 0
    /// Index rows added to catch up with the segments.
    public var indexedFrames = 0
    /// True when the index was rebuilt because it did not match the segments.
    public var indexRebuilt = false
}
