/// One problem found in a policy file, with where it is.
public struct PolicyIssue: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem has no single place (e.g. a missing top-level key).
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COLUMN: error: MESSAGE`, the form editors and CI annotators understand.
    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// A policy that cannot be used: every problem found, in file order.
public struct PolicyError: Error, Sendable, CustomStringConvertible {
    public var issues: [PolicyIssue]

    public init(issues: [PolicyIssue]) {
        self.issues = issues.sorted { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }
    }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
