import Ledger

/// Where a catch-up or rebuild stands.
public struct ProjectionProgress: Sendable, Equatable {
    /// The projections' checkpoint after the last batch.
    public var checkpoint: Seq
    /// Events applied by this call.
    public var applied = 0
    /// The tables were dropped and are being refolded from seq 1.
    public var rebuilt = false

    public init(checkpoint: Seq, applied: Int = 0, rebuilt: Bool = false) {
        self.checkpoint = checkpoint
        self.applied = applied
        self.rebuilt = rebuilt
    }
}
