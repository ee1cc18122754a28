import Foundation
import SceneFlowBasics

/// A template file as read: its bytes, its decoded model (if its syntax allowed one), and the
/// syntax and schema findings. Semantic rules run separately (`validate`).
public struct LoadedTemplate: Sendable {
    public enum Format: String, Sendable { case json, yaml }

    /// The path as the user gave it, used in diagnostics.
    public var path: String
    public var url: URL
    public var bytes: [UInt8]
    public var format: Format
    /// `nil` when the file could not be parsed at all.
    public var template: Template?
    public var findings: Findings

    public var directory: URL { url.deletingLastPathComponent() }

    /// The largest template read: about 400,000 scenes, which validate in about 12 s and 1.5 GB
    /// (a 100,000-scene file of 28 MB takes 2.5 s and 400 MB). A larger file is refused before
    /// it is read.
    public static let maxFileSize = 128 << 20

    /// Reads and decodes a template. Throws only when the file cannot be read; every problem
    /// with its contents is a finding.
    public static func load(path: String) throws(InputFileError) -> LoadedTemplate {
        let bytes = try InputFileError.readFile(path, limit: maxFileSize)
        return parse(bytes: bytes, path: path)
    }

    public static func parse(bytes: [UInt8], path: String) -> LoadedTemplate {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let format = detectFormat(path: path, bytes: bytes)
        var findings = Findings()
        var template: Template?
        do {
            let root = try (format == .json ? JSONReader.read(bytes) : YAMLReader.read(bytes))
            var decoder = TemplateDecoder()
            template = decoder.decode(root)
            findings = decoder.findings
        } catch {
            findings.error(error.code, error.message, path: "", at: error.anchor)
        }
        // The located value tree is gone: of a large file's, hand the pages back to the system
        // (glibc keeps freed small blocks otherwise, and the graph and plan are large arrays
        // that cannot reuse them), so peak memory is not the tree plus everything after it.
        if bytes.count > 4 << 20 { _ = glibcMallocTrim(0) }
        return LoadedTemplate(path: path, url: url, bytes: bytes, format: format, template: template, findings: findings)
    }

    /// The document as read, for handing back (the server's JSON echo of a YAML template):
    /// read again through the same bounded readers, nil when it does not parse.
    public func value() -> LocatedValue? {
        try? (format == .json ? JSONReader.read(bytes) : YAMLReader.read(bytes))
    }

    /// By extension; otherwise a file whose first non-blank byte is `{` is JSON, anything else YAML.
    static func detectFormat(path: String, bytes: [UInt8]) -> Format {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "json": return .json
        case "yaml", "yml": return .yaml
        default:
            let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
            return first == UInt8(ascii: "{") ? .json : .yaml
        }
    }

    /// Runs the semantic rules (when the template could be decoded) and resolves every finding
    /// to a located diagnostic.
    public func validate(registry: ModelRegistry = .standard, validator: Validator = Validator()) -> [Diagnostic] {
        check(registry: registry, validator: validator).diagnostics
    }

    /// Validation and the template's graph, built once (`graph` is nil when the file did not decode).
    public func check(registry: ModelRegistry = .standard, validator: Validator = Validator()) -> (diagnostics: [Diagnostic], graph: SceneGraph?) {
        var all = findings
        var graph: SceneGraph?
        if let template {
            let context = ValidationContext(template: template, registry: registry, templateDirectory: directory)
            all.append(contentsOf: validator.validate(context))
            graph = context.graph
        }
        return (resolve(all), graph)
    }

    /// Turns anchors into line and column, building the line table only if something is reported.
    public func resolve(_ findings: Findings) -> [Diagnostic] {
        guard !findings.all.isEmpty else { return [] }
        let lines = LineTable(bytes: bytes)
        return Diagnostic.sortedByPosition(findings.all.map { $0.resolved(file: path, lines: lines) })
    }
}

/// glibc's `malloc_trim` (malloc.h is not in Swift's Glibc module): returns free heap pages to
/// the system, including whole free pages inside the heap.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
