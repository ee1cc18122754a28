/// One finding about a template or its hydration inputs.
///
/// Findings are values, collected in one pass and sorted by position (the swift-format way);
/// only problems that stop SceneFlow from reading a file at all are thrown.
public struct Diagnostic: Sendable, Hashable, Codable {
    public enum Severity: String, Sendable, Codable, Comparable {
        case warning, error
        public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
    }

    public var severity: Severity
    public var code: DiagnosticCode
    /// A sentence naming the offending ids, ending in a "did you mean" where a near name exists.
    public var message: String
    /// The JSON path of the offending value (`scenes[1].dependencies[0]`); empty for the whole file.
    public var path: String
    /// The file the user wrote (as given on the command line), or `nil` for a command-line argument.
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// What to do about it, when there is something better to say than the message.
    public var suggestion: String?

    public init(_ severity: Severity, _ code: DiagnosticCode, _ message: String, path: String,
                file: String? = nil, position: SourcePosition? = nil, suggestion: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.path = path
        self.file = file
        self.line = position?.line
        self.column = position?.column
        self.suggestion = suggestion
    }

    /// Compiler order: by file, then position, then code, so output is stable across runs.
    public static func sortedByPosition(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.sorted { a, b in
            if (a.file ?? "") != (b.file ?? "") { return (a.file ?? "") < (b.file ?? "") }
            if (a.line ?? 0, a.column ?? 0) != (b.line ?? 0, b.column ?? 0) {
                return (a.line ?? 0, a.column ?? 0) < (b.line ?? 0, b.column ?? 0)
            }
            if a.code != b.code { return a.code.rawValue < b.code.rawValue }
            return a.message < b.message
        }
    }

    /// `file:line:column: error: message [code] (at path)`, the compiler style of the CLI contract.
    public var textLine: String {
        var location = file ?? "<command line>"
        if let line, let column { location += ":\(line):\(column)" }
        var text = "\(location): \(severity.rawValue): \(message) [\(code.rawValue)]"
        if !path.isEmpty { text += " (at \(path))" }
        return text
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
