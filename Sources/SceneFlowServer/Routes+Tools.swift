import Foundation
import Hummingbird
import SceneFlowBasics
import SceneFlowGraphviz
import SceneFlowRun
import SceneFlowStore
import SceneFlowTemplate

/// Health, the registry, the OpenAPI document, and the template tools that store nothing:
/// validate, graph, plan.
extension SceneFlowServer {
    func addToolRoutes(to router: Router<BasicRequestContext>) {
        router.getAndHead("/api/v1/health") { _, _ in
            JSONBody.response(["status": "ok", "version": SceneFlowVersion.current])
        }
        router.getAndHead("/api/v1/models") { _, _ in
            JSONBody.raw(.ok, ModelCatalog.json())
        }
        router.getAndHead("/openapi.json") { _, _ in
            JSONBody.raw(.ok, OpenAPIDocument.json)
        }
        router.post("/api/v1/validate") { request, _ in
            let loaded = try await RequestSupport.template(request, options: options)
            let diagnostics = Self.diagnostics(loaded)
            // A YAML body that is an object comes back as JSON too, so the dashboard's form can
            // edit YAML text (a document that is not an object cannot be a template: left out).
            let echo = loaded.format == .json ? nil : loaded.value().flatMap { $0.isObject ? $0 : nil }
            return JSONBody.response(Validation(valid: !diagnostics.hasErrors, diagnostics: Diagnostic.sortedByPosition(diagnostics), template: echo))
        }
        router.post("/api/v1/graph") { request, _ in
            let format = RequestSupport.query(request, "format") ?? "svg"
            guard format == "svg" || format == "json" else { throw APIError.badRequest("?format= takes svg or json, not \(Slug.shown(format))") }
            let checked = try await checkedTemplate(request)
            if format == "json" { return JSONBody.raw(.ok, GraphJSON.encode(checked.graph)) }
            let diagram = DiagramBuilder(graph: checked.graph, template: checked.template, options: DiagramBuilder.Options()).build()
            let svg = try await GraphvizRenderer.shared.render(diagram, format: .svg)
            return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: svg)))
        }
        router.post("/api/v1/plan") { request, _ in
            let offline = try RequestSupport.flag(request, "offline") || options.offline
            let checked = try await checkedTemplate(request)
            let graph = checked.graph
            // `targets=frames,hook.video`: only what those need. `product_id=P`: what a run for that
            // product would really make, its stored files and picked takes found in the cache.
            var targets: Set<String>?
            if let list = RequestSupport.query(request, "targets"), !list.isEmpty {
                do { targets = try RunSelection.nodes(for: list.split(separator: ",").map(String.init), in: graph) } catch {
                    throw APIError.invalid("\(error)", diagnostics: [])
                }
            }
            var cached = Set<Int>()
            if let product = try RequestSupport.query(request, "product_id").map({ try Self.checkedID($0, what: "product id") }) {
                let inputs = try database.hydrationInputs(product: product, requireAssets: false)
                let resolver = InputResolver(templateDirectory: checked.loaded.directory, assets: inputs, replacements: inputs.replacements(for: graph))
                cached = CachePrediction.cachedNodes(graph, builder: JobBuilder(graph: graph, offline: offline),
                                                     inputs: resolver, cache: FileOutputCache(directory: options.workspace.cacheDirectory),
                                                     picks: try database.picks(template: checked.id))
            }
            guard let plan = Planner.plan(graph, limits: options.limits, offline: offline, targets: targets, cached: cached) else {
                throw APIError.invalid("the template's graph has a cycle", diagnostics: checked.diagnostics)
            }
            var bytes: [UInt8] = []
            PlanReport.json(plan) { bytes += $0 }
            return JSONBody.raw(.ok, Data(bytes))
        }
    }

    /// `POST /api/v1/validate`: as `validate --format json`, and a YAML template as JSON.
    struct Validation: Encodable {
        var valid: Bool
        var diagnostics: [Diagnostic]
        var template: LocatedValue?
    }

    /// Every diagnostic of a template, as `validate` reports them.
    static func diagnostics(_ loaded: LoadedTemplate) -> [Diagnostic] {
        CheckedTemplate(loaded)?.diagnostics ?? loaded.validate()
    }

    /// A valid template from the body; 422 with its diagnostics otherwise.
    func checkedTemplate(_ request: Request) async throws -> CheckedTemplate {
        let loaded = try await RequestSupport.template(request, options: options)
        guard let checked = CheckedTemplate(loaded), checked.isValid else {
            throw APIError.invalid("the template is invalid", diagnostics: Self.diagnostics(loaded))
        }
        return checked
    }
}
