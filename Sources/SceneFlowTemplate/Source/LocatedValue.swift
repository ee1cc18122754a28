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

extension LocatedValue: Encodable {
    /// The value as plain JSON (positions dropped, members in their written order): how the
    /// server hands a YAML template back as JSON. The tree has passed the reader's budgets, so
    /// what is encoded is bounded by them too.
    public func encode(to encoder: Encoder) throws {
        switch kind {
        case .object(let members):
            var container = encoder.container(keyedBy: MemberKey.self)
            for member in members { try container.encode(member.value, forKey: MemberKey(member.key)) }
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .number(let value, let isInteger):
            var container = encoder.singleValueContainer()
            if isInteger, let exact = Int(exactly: value) { try container.encode(exact) } else { try container.encode(value) }
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }

    private struct MemberKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ key: String) { stringValue = key }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Whether the value is an object (a template's root must be).
    public var isObject: Bool {
        if case .object = kind { return true }
        return false
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
