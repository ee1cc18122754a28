import Foundation

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
    public var reference: RunReport.TemplateRef {
        RunReport.TemplateRef(id: id, sha256: Digest.sha256(Data(loaded.bytes)), path: loaded.path)
    }
}
