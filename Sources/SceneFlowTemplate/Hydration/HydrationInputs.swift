import Foundation
import SceneFlowBasics

/// The product assets for one hydration: which files fill which slot, and where each was named
/// (so a problem points at the `--asset` argument or the line of the `--inputs` file).
public struct HydrationInputs: Sendable {
    public struct AssetFile: Sendable {
        public var key: String
        /// As written by the user.
        public var path: String
        public var url: URL
        public var origin: Origin

        public init(key: String, path: String, url: URL, origin: Origin) {
            self.key = key
            self.path = path
            self.url = url
            self.origin = origin
        }
    }

    public enum Origin: Sendable {
        /// The n-th `--asset` argument.
        case argument(Int)
        /// An entry of an `--inputs` file.
        case inputsFile(path: String, jsonPath: String, anchor: SourceAnchor)
        /// The asset store, for `--product`.
        case store(product: String)
    }

    public var productID: String?
    public var files: [AssetFile] = []
    /// Images replacing the template's avatars and backgrounds for this hydration, by node id
    /// (`avatar:maya` → file).
    public var replacements: [String: URL] = [:]
    /// Avatar and background images stored for the product (`sceneflow assets add --product P
    /// avatar:maya FILE`), by node id. Unlike `replacements`, they apply only to the avatars and
    /// backgrounds a template has: one product serves many templates.
    public var storedReplacements: [String: URL] = [:]
    /// Problems reading the `--inputs` file itself, already located.
    public var diagnostics: [Diagnostic] = []

    public init() {}

    public func files(for key: String) -> [AssetFile] { files.filter { $0.key == key } }

    /// The images replacing `graph`'s avatars and backgrounds: the explicit ones (`--avatar`,
    /// `--background`, an inputs file; all of them, so an unknown id is reported), then the
    /// product's stored ones for the ids the template has.
    public func replacements(for graph: SceneGraph) -> [String: URL] {
        var all = replacements
        for (node, url) in storedReplacements where all[node] == nil && graph[node] != nil { all[node] = url }
        return all
    }

    /// Whether `key` names a stored avatar or background image (`avatar:ID`, `background:ID`)
    /// rather than a slot; nil if it does, else why not.
    public static func imageOverrideProblem(_ key: String) -> String? {
        for prefix in ["avatar:", "background:"] where key.hasPrefix(prefix) {
            return Slug.problem(String(key.dropFirst(prefix.count))).map { "the \(prefix.dropLast()) id: \($0)" }
        }
        return "not avatar:ID or background:ID"
    }
    public var keys: Set<String> { Set(files.map(\.key)) }

    /// Parses `KEY=PATH`. Returns `nil` for a malformed argument (a usage error).
    public static func parseAssetArgument(_ text: String) -> (key: String, path: String)? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        let path = String(text[text.index(after: eq)...])
        guard !path.isEmpty else { return nil }
        return (String(text[..<eq]), path)
    }

    /// Adds `--asset KEY=PATH` arguments (paths relative to the current directory).
    public mutating func addArguments(_ arguments: [String]) {
        for (i, argument) in arguments.enumerated() {
            guard let (key, path) = Self.parseAssetArgument(argument) else { continue }
            files.append(AssetFile(key: key, path: path, url: URL(fileURLWithPath: path).standardizedFileURL, origin: .argument(i)))
        }
    }

    /// Adds `--avatar ID=PATH` and `--background ID=PATH` (paths relative to the current directory).
    public mutating func addReplacements(avatars: [String], backgrounds: [String]) {
        for (kind, values) in [("avatar", avatars), ("background", backgrounds)] {
            for value in values {
                guard let (id, path) = Self.parseAssetArgument(value) else { continue }
                replacements["\(kind):\(id)"] = URL(fileURLWithPath: path).standardizedFileURL
            }
        }
    }

    /// Reads an inputs file: `{"product_id": "...", "assets": {"product_1": ["a.png"]}}`, and
    /// optionally `"avatars": {"maya": "maya-2.png"}`, `"backgrounds": {...}`.
    /// Paths are relative to the inputs file. Keys given by `--asset` are overridden there
    /// (explicit flags win), so call this before `addArguments` and pass their keys.
    public mutating func addInputsFile(path: String, overriddenKeys: Set<String> = []) throws(InputFileError) {
        let bytes = try InputFileError.readFile(path)
        let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        var findings = Findings()
        defer {
            if !findings.all.isEmpty {
                let lines = LineTable(bytes: bytes)
                diagnostics += findings.all.map { $0.resolved(file: path, lines: lines) }
            }
        }
        let root: LocatedValue
        do { root = try JSONReader.read(bytes) } catch {
            findings.error(error.code, error.message, path: "", at: error.anchor)
            return
        }
        guard case .object(let members) = root.kind else {
            findings.error(.invalidType, "an inputs file must be an object like {\"assets\": {\"product_1\": [\"a.png\"]}}", path: "", at: root.anchor)
            return
        }
        for member in members {
            switch member.key {
            case "product_id":
                if case .string(let id) = member.value.kind {
                    if let problem = Slug.problem(id) {
                        findings.error(.invalidID, "product id \"\(Slug.shown(id))\" is not a valid id: \(problem)", path: "product_id", at: member.value.anchor)
                    } else {
                        productID = id
                    }
                } else {
                    findings.error(.invalidType, "\"product_id\" must be a string", path: "product_id", at: member.value.anchor)
                }
            case "assets":
                guard case .object(let slots) = member.value.kind else {
                    findings.error(.invalidType, "\"assets\" must be an object of asset key to file list", path: "assets", at: member.value.anchor)
                    continue
                }
                for slot in slots where !overriddenKeys.contains(slot.key) {
                    // A single path is accepted as a list of one.
                    let items: [LocatedValue]
                    switch slot.value.kind {
                    case .array(let list): items = list
                    case .string: items = [slot.value]
                    default:
                        findings.error(.invalidType, "assets.\(slot.key) must be a list of file paths", path: "assets.\(slot.key)", at: slot.value.anchor)
                        continue
                    }
                    for (i, item) in items.enumerated() {
                        let jsonPath = "assets.\(slot.key)[\(i)]"
                        guard case .string(let file) = item.kind else {
                            findings.error(.invalidType, "\(jsonPath) must be a file path (a string)", path: jsonPath, at: item.anchor)
                            continue
                        }
                        let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : base.appendingPathComponent(file)
                        files.append(AssetFile(key: slot.key, path: file, url: url.standardizedFileURL,
                                               origin: .inputsFile(path: path, jsonPath: jsonPath, anchor: item.anchor)))
                    }
                }
            case "avatars", "backgrounds":
                guard case .object(let images) = member.value.kind else {
                    findings.error(.invalidType, "\"\(member.key)\" must be an object of id to image file", path: member.key, at: member.value.anchor)
                    continue
                }
                let kind = member.key == "avatars" ? "avatar" : "background"
                for image in images {
                    guard case .string(let file) = image.value.kind else {
                        findings.error(.invalidType, "\(member.key).\(image.key) must be an image file path (a string)", path: "\(member.key).\(image.key)", at: image.value.anchor)
                        continue
                    }
                    let key = "\(kind):\(image.key)"
                    if replacements[key] == nil {
                        replacements[key] = (file.hasPrefix("/") ? URL(fileURLWithPath: file) : base.appendingPathComponent(file)).standardizedFileURL
                    }
                }
            default:
                findings.error(.unknownField, "unknown field \"\(member.key)\"\(Suggestions.didYouMean(member.key, in: ["product_id", "assets", "avatars", "backgrounds"]))",
                               path: member.key, at: member.keyAnchor)
            }
        }
    }
}

/// Checks hydration inputs against a template. One rule per file under `Rules/`.
public protocol InputRule: Sendable {
    static var codes: [DiagnosticCode] { get }
    func check(_ inputs: HydrationInputs, _ context: InputContext, into diagnostics: inout [Diagnostic])
}

/// The template side of an input check, with helpers that locate a diagnostic at its origin.
public struct InputContext: Sendable {
    public let template: ValidationContext
    public let loaded: LoadedTemplate
    private let templateLines: LineTable

    public init(loaded: LoadedTemplate, template: Template, registry: ModelRegistry = .standard) {
        self.loaded = loaded
        self.template = ValidationContext(template: template, registry: registry, templateDirectory: loaded.directory)
        self.templateLines = LineTable(bytes: loaded.bytes)
    }

    /// A diagnostic about a slot, located in the template.
    public func atSlot(_ slot: Slot, _ code: DiagnosticCode, _ message: String, suggestion: String? = nil) -> Diagnostic {
        Finding(.error, code, message, path: "dependencies[\(slot.index)]", anchor: slot.assetKey?.anchor ?? .none, suggestion: suggestion)
            .resolved(file: loaded.path, lines: templateLines)
    }

    /// A diagnostic about one supplied file, located where it was named.
    public func atFile(_ file: HydrationInputs.AssetFile, _ code: DiagnosticCode, _ message: String, suggestion: String? = nil) -> Diagnostic {
        switch file.origin {
        case .argument(let i):
            return Diagnostic(.error, code, message, path: "--asset[\(i)]", suggestion: suggestion)
        case .inputsFile(let path, let jsonPath, let anchor):
            // The inputs file is small; re-reading it for a located error is cheap and rare.
            let lines = (try? InputFileError.readFile(path)).map(LineTable.init(bytes:))
            return Finding(.error, code, message, path: jsonPath, anchor: anchor, suggestion: suggestion).resolved(file: path, lines: lines)
        case .store(let product):
            return Diagnostic(.error, code, message + " (stored for product \"\(product)\")", path: "--product", suggestion: suggestion)
        }
    }
}

public struct InputValidator: Sendable {
    public var rules: [any InputRule] = [UnknownSlotRule(), SlotCountRule(), AssetFileRule()]

    public init() {}

    public func validate(_ inputs: HydrationInputs, _ context: InputContext) -> [Diagnostic] {
        var diagnostics = inputs.diagnostics
        for rule in rules { rule.check(inputs, context, into: &diagnostics) }
        return Diagnostic.sortedByPosition(diagnostics)
    }
}
