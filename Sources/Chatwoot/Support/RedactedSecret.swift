/// Holds a credential so that it never appears in `print`, `dump`, string interpolation or
/// logs, even when the owning value is printed through reflection.
struct RedactedSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    let value: String

    init(_ value: String) { self.value = value }

    var description: String { "***" }
    var debugDescription: String { "***" }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
