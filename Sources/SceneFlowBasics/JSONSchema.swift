import Foundation

/// A JSON Schema (draft 2020-12, the dialect OpenAPI 3.1 uses), as a value: the template's
/// schema (`sceneflow schema`) and every body of the HTTP API's document are built from these,
/// in Swift, beside the types they describe. Encoded with sorted keys, so a schema is
/// byte-identical however often it is written.
public struct JSONSchema: Encodable, Sendable, Equatable {
    /// A JSON value as a schema keyword holds it (`const`, `enum`, `default`).
    public enum Value: Encodable, Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
        case string(String), integer(Int), number(Double), bool(Bool), null

        public init(stringLiteral value: String) { self = .string(value) }
        public init(integerLiteral value: Int) { self = .integer(value) }
        public init(booleanLiteral value: Bool) { self = .bool(value) }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let v): try c.encode(v)
            case .integer(let v): try c.encode(v)
            case .number(let v): if let exact = Int(exactly: v) { try c.encode(exact) } else { try c.encode(v) }
            case .bool(let v): try c.encode(v)
            case .null: try c.encodeNil()
            }
        }
    }

    /// The `false` schema (nothing is valid): a field a variant forbids.
    public var isFalse = false
    public var schemaURI: String?
    public var id: String?
    public var ref: String?
    public var title: String?
    public var description: String?
    public var types: [String]?
    public var properties: [String: JSONSchema]?
    public var required: [String]?
    public var additionalProperties: Bool?
    public var items: Indirect?
    public var enumeration: [Value]?
    public var constant: Value?
    public var defaultValue: Value?
    public var pattern: String?
    public var format: String?
    public var minLength: Int?
    public var maxLength: Int?
    public var minItems: Int?
    public var minimum: Value?
    public var maximum: Value?
    public var exclusiveMinimum: Value?
    public var allOf: [JSONSchema]?
    public var anyOf: [JSONSchema]?
    public var ifSchema: Indirect?
    public var thenSchema: Indirect?
    public var defs: [String: JSONSchema]?

    /// A box for the keywords that hold one schema (a struct cannot hold itself).
    public final class Indirect: Encodable, Sendable, Equatable {
        public let schema: JSONSchema
        public init(_ schema: JSONSchema) { self.schema = schema }
        public func encode(to encoder: Encoder) throws { try schema.encode(to: encoder) }
        public static func == (a: Indirect, b: Indirect) -> Bool { a.schema == b.schema }
    }

    public init() {}

    // MARK: Building

    public static func type(_ name: String, description: String? = nil) -> JSONSchema {
        var s = JSONSchema()
        s.types = [name]
        s.description = description
        return s
    }

    public static func string(pattern: String? = nil, description: String? = nil) -> JSONSchema {
        var s = type("string", description: description)
        s.pattern = pattern
        return s
    }

    public static var integer: JSONSchema { type("integer") }
    public static var number: JSONSchema { type("number") }
    public static var boolean: JSONSchema { type("boolean") }

    /// `{"type": [name, "null"]}`.
    public static func nullable(_ name: String) -> JSONSchema {
        var s = JSONSchema()
        s.types = [name, "null"]
        return s
    }

    public static func array(of items: JSONSchema, description: String? = nil) -> JSONSchema {
        var s = type("array", description: description)
        s.items = Indirect(items)
        return s
    }

    public static func object(_ properties: [String: JSONSchema], required: [String] = [], closed: Bool = false,
                              description: String? = nil) -> JSONSchema {
        var s = type("object", description: description)
        s.properties = properties
        s.required = required.isEmpty ? nil : required
        s.additionalProperties = closed ? false : nil
        return s
    }

    public static func ref(_ target: String) -> JSONSchema {
        var s = JSONSchema()
        s.ref = target
        return s
    }

    public static func oneOf(_ values: [Value], description: String? = nil) -> JSONSchema {
        var s = JSONSchema()
        s.enumeration = values
        s.description = description
        return s
    }

    public static func constant(_ value: Value) -> JSONSchema {
        var s = JSONSchema()
        s.constant = value
        return s
    }

    /// A schema with only a description (any value).
    public static func any(description: String) -> JSONSchema {
        var s = JSONSchema()
        s.description = description
        return s
    }

    public static var never: JSONSchema {
        var s = JSONSchema()
        s.isFalse = true
        return s
    }

    /// This schema with `change` applied (for the keywords the builders leave out).
    public func with(_ change: (inout JSONSchema) -> Void) -> JSONSchema {
        var copy = self
        change(&copy)
        return copy
    }

    /// This schema with every `$ref` rewritten (a schema embedded in another document).
    public func rewritingRefs(_ rewrite: (String) -> String) -> JSONSchema {
        var s = self
        s.ref = ref.map(rewrite)
        s.properties = properties?.mapValues { $0.rewritingRefs(rewrite) }
        s.items = items.map { Indirect($0.schema.rewritingRefs(rewrite)) }
        s.allOf = allOf?.map { $0.rewritingRefs(rewrite) }
        s.anyOf = anyOf?.map { $0.rewritingRefs(rewrite) }
        s.ifSchema = ifSchema.map { Indirect($0.schema.rewritingRefs(rewrite)) }
        s.thenSchema = thenSchema.map { Indirect($0.schema.rewritingRefs(rewrite)) }
        s.defs = defs?.mapValues { $0.rewritingRefs(rewrite) }
        return s
    }

    // MARK: Encoding

    enum CodingKeys: String, CodingKey {
        case schemaURI = "$schema", id = "$id", ref = "$ref", defs = "$defs"
        case title, description, type, properties, required, additionalProperties, items, pattern, format, minLength, maxLength
        case minItems, minimum, maximum, exclusiveMinimum, allOf, anyOf
        case enumeration = "enum", constant = "const", defaultValue = "default", ifSchema = "if", thenSchema = "then"
    }

    public func encode(to encoder: Encoder) throws {
        if isFalse {
            var single = encoder.singleValueContainer()
            try single.encode(false)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(schemaURI, forKey: .schemaURI)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(ref, forKey: .ref)
        try c.encodeIfPresent(title, forKey: .title)
        try c.encodeIfPresent(description, forKey: .description)
        if let types { types.count == 1 ? try c.encode(types[0], forKey: .type) : try c.encode(types, forKey: .type) }
        try c.encodeIfPresent(properties, forKey: .properties)
        try c.encodeIfPresent(required, forKey: .required)
        try c.encodeIfPresent(additionalProperties, forKey: .additionalProperties)
        try c.encodeIfPresent(items, forKey: .items)
        try c.encodeIfPresent(enumeration, forKey: .enumeration)
        try c.encodeIfPresent(constant, forKey: .constant)
        try c.encodeIfPresent(defaultValue, forKey: .defaultValue)
        try c.encodeIfPresent(pattern, forKey: .pattern)
        try c.encodeIfPresent(format, forKey: .format)
        try c.encodeIfPresent(minLength, forKey: .minLength)
        try c.encodeIfPresent(maxLength, forKey: .maxLength)
        try c.encodeIfPresent(minItems, forKey: .minItems)
        try c.encodeIfPresent(minimum, forKey: .minimum)
        try c.encodeIfPresent(maximum, forKey: .maximum)
        try c.encodeIfPresent(exclusiveMinimum, forKey: .exclusiveMinimum)
        try c.encodeIfPresent(allOf, forKey: .allOf)
        try c.encodeIfPresent(anyOf, forKey: .anyOf)
        try c.encodeIfPresent(ifSchema, forKey: .ifSchema)
        try c.encodeIfPresent(thenSchema, forKey: .thenSchema)
        try c.encodeIfPresent(defs, forKey: .defs)
    }
}
