import Foundation

/// The one JSON setup for what SceneFlow writes and reads with `Codable` (reports, cache
/// metadata, journals, markers, API bodies): snake_case keys are spelled by each type's
/// `CodingKeys`, keys are sorted (stable files and diffs), slashes are not escaped, and dates
/// are ISO 8601. Templates are read by the located readers (`JSONReader`, `YAMLReader`) instead,
/// so that every diagnostic has a line and column.
public enum JSONCoding {
    /// Files people read (`run.json`, cache metadata): indented.
    public static let pretty: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// One line: events, API bodies, journals.
    public static let compact: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
