/// A diagnostic before its position is resolved: rules and the decoder record the cheap
/// `SourceAnchor`, and positions are computed once at the end, only for what is reported.
public struct Finding: Sendable {
    public var severity: Diagnostic.Severity
    public var code: DiagnosticCode
    public var message: String
    public var path: String
    public var anchor: SourceAnchor
    public var suggestion: String?

    public init(_ severity: Diagnostic.Severity, _ code: DiagnosticCode, _ message: String,
                path: String, anchor: SourceAnchor, suggestion: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.path = path
        self.anchor = anchor
        self.suggestion = suggestion
    }

    public func resolved(file: String?, lines: LineTable?) -> Diagnostic {
        Diagnostic(severity, code, message, path: path, file: file,
                   position: lines?.position(of: anchor), suggestion: suggestion)
    }
}

/// Collects findings in one pass.
public struct Findings: Sendable {
    public private(set) var all: [Finding] = []

    public init() {}

    public mutating func error(_ code: DiagnosticCode, _ message: String, path: String, at anchor: SourceAnchor, suggestion: String? = nil) {
        all.append(Finding(.error, code, message, path: path, anchor: anchor, suggestion: suggestion))
    }

    public mutating func warning(_ code: DiagnosticCode, _ message: String, path: String, at anchor: SourceAnchor, suggestion: String? = nil) {
        all.append(Finding(.warning, code, message, path: path, anchor: anchor, suggestion: suggestion))
    }

    public mutating func append(contentsOf other: Findings) {
        all.append(contentsOf: other.all)
    }

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
}
