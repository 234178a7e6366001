/// An error of the projections, with a message that says what to do.
public struct ProjectionError: Error, Equatable, CustomStringConvertible {
    private enum Code: Equatable { case gap, unusable, spill }
    private let code: Code
    public let message: String

    private init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    init(_ kind: ProjectionError, _ message: String) {
        self.init(code: kind.code, message: message)
    }

    /// Events were offered out of order or with a hole after the checkpoint.
    public static var gap: Self { .init(code: .gap, message: "") }

    /// A failed batch left memory ahead of SQLite and could not be reloaded.
    public static var unusable: Self { .init(code: .unusable, message: "") }

    /// The file a bounded store moves conversation states to (``ConversationSpill``) could not
    /// be created, written or read.
    public static var spill: Self { .init(code: .spill, message: "") }

    /// Matches on the kind only, so `catch let error where error ~= .gap` ignores the message.
    public static func ~= (kind: ProjectionError, error: ProjectionError) -> Bool { kind.code == error.code }

    public static func == (lhs: ProjectionError, rhs: ProjectionError) -> Bool { lhs.code == rhs.code }

    public var description: String { message }
}
