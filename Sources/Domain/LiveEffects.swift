/// Performs the read-only effects a decision asks for — lookups with GET and external NLU
/// calls — into the result the outbox would record. A what-if replay with `--live` uses it for
/// the effects a new bot version asks that were never recorded; it never performs anything that
/// writes (POST actions, Chatwoot API calls).
public protocol LiveEffects: Sendable {
    /// The result of `command` (the `index`-th of decision `decision`), or nil when the command
    /// is not read-only and so is never performed.
    func perform(_ command: Command, decision: UInt64, index: Int) async -> EffectResult?
}
