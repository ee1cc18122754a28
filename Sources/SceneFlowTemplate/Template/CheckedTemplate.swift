import Foundation
import SceneFlowBasics

/// A template read, validated and resolved once: what every command that acts on a template
/// (diagram, plan, run, batch, the server) starts from.
public struct CheckedTemplate: Sendable {
    public var loaded: LoadedTemplate
    public var template: Template
    public var graph: SceneGraph
    public var diagnostics: [Diagnostic]

    public var isValid: Bool { !diagnostics.hasErrors }
    public var id: String { template.id?.value ?? graph.templateID }

    /// `nil` when the file does not decode into a template at all (its diagnostics say why).
    public init?(_ loaded: LoadedTemplate, registry: ModelRegistry = .standard) {
        let (diagnostics, graph) = loaded.check(registry: registry)
        guard let template = loaded.template, let graph else { return nil }
        self.loaded = loaded
        self.template = template
        self.graph = graph
        self.diagnostics = diagnostics
    }

    /// The template as a run report names it: id, digest of the bytes, path.
    public var reference: TemplateReference {
        TemplateReference(id: id, sha256: Digest.sha256(Data(loaded.bytes)), path: loaded.path)
    }
}

/// A template as something made from it names it: its id, the digest of its bytes, its file.
public struct TemplateReference: Sendable, Codable, Equatable {
    public var id: String
    public var sha256: String
    public var path: String?

    public init(id: String, sha256: String, path: String?) {
        self.id = id
        self.sha256 = sha256
        self.path = path
    }
}
