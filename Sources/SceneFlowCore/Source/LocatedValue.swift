/// A JSON-shaped value that remembers where it was written.
///
/// Both readers (JSON and YAML) produce this tree, and the template decoder reads only this tree,
/// so every diagnostic can point at the user's own text whichever format they chose.
public struct LocatedValue: Sendable {
    public enum Kind: Sendable {
        case object([Member])
        case array([LocatedValue])
        case string(String)
        /// `isInteger` is true for a literal without fraction or exponent (`5`, not `5.0`).
        case number(Double, isInteger: Bool)
        case bool(Bool)
        case null
    }

    public struct Member: Sendable {
        public var key: String
        public var keyAnchor: SourceAnchor
        public var value: LocatedValue
    }

    public var kind: Kind
    public var anchor: SourceAnchor

    public init(_ kind: Kind, anchor: SourceAnchor) {
        self.kind = kind
        self.anchor = anchor
    }

    /// The word a diagnostic uses for this value's type ("a string", "an array").
    public var typeDescription: String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number(_, let isInteger): return isInteger ? "an integer" : "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A fatal problem reading a file's syntax: the file has no value tree, so nothing else can be checked.
public struct SyntaxError: Error, Sendable {
    public var code: DiagnosticCode
    public var message: String
    public var anchor: SourceAnchor

    public init(code: DiagnosticCode = .syntaxError, message: String, anchor: SourceAnchor) {
        self.code = code
        self.message = message
        self.anchor = anchor
    }
}

/// Limits that keep hostile input from exhausting the stack or memory.
public enum ReaderLimits {
    /// Deeper nesting than any template needs; stops stack exhaustion on `[[[[...` files.
    public static let maxDepth = 256
}
