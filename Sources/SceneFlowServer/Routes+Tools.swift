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
    var toolEndpoints: [Endpoint] {
        [
            Endpoint(method: .get, path: "/api/v1/health", operationID: "health", summary: "Liveness and version",
                     replies: [.json(200, "the server answers", Health.self)]) { _, _ in
                JSONBody.response(Health(status: "ok", version: SceneFlowVersion.current, offline: options.offline))
            },
            Endpoint(method: .get, path: "/api/v1/metrics", operationID: "metrics",
                     summary: "Team mode: Prometheus metrics (jobs by state, providers' slots in use against their limits, claim and wake-up latency, heartbeats, leases taken over, unknown requests)",
                     replies: [Endpoint.Reply(status: 200, description: "the Prometheus text exposition", mediaType: "text/plain", schema: .string()),
                               .error(404, "the embedded default keeps no queue")]) { _, _ in
                guard let metrics = options.metrics else { throw APIError.notFound("metrics are kept in team mode (the queue and its workers)") }
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: await metrics())))
            },
            Endpoint(method: .get, path: "/api/v1/models", operationID: "models", summary: "The model registry, as `models --format json`",
                     replies: [.json(200, "the models", .array(of: .object(["id": .string(), "provider": .string(), "kinds": .array(of: .string())],
                                                                         required: ["id", "provider", "kinds"])))]) { _, _ in
                JSONBody.raw(.ok, ModelCatalog.json())
            },
            Endpoint(method: .get, path: "/openapi.json", audience: .document, operationID: "openapi", summary: "This document",
                     replies: [.json(200, "the OpenAPI 3.1 document", .type("object"))]) { [document] _, _ in
                JSONBody.raw(.ok, document.value)
            },
            Endpoint(method: .post, path: "/api/v1/validate", operationID: "validate",
                     summary: "Validate a template (JSON, or YAML with Content-Type application/yaml)", body: .anyTemplate,
                     replies: [.json(200, "the diagnostics (a YAML template also as JSON)", Validation.self)]) { request, _ in
                let loaded = try await RequestSupport.template(request, options: options)
                let diagnostics = Self.diagnostics(loaded)
                // A YAML body that is an object comes back as JSON too, so the dashboard's form can
                // edit YAML text (a document that is not an object cannot be a template: left out).
                let echo = loaded.format == .json ? nil : loaded.value().flatMap { $0.isObject ? $0 : nil }
                return JSONBody.response(Validation(valid: !diagnostics.hasErrors, diagnostics: Diagnostic.sortedByPosition(diagnostics), template: echo))
            },
            Endpoint(method: .post, path: "/api/v1/graph", operationID: "graph", summary: "The diagram of a template",
                     parameters: [.init("format", in: .query, .oneOf(["svg", "json"]), "svg (default) or json")], body: .template,
                     replies: [Endpoint.Reply(status: 200, description: "the diagram (SVG, or the graph as JSON with ?format=json)", mediaType: "image/svg+xml",
                                              schema: .string(), alternatives: [(JSONBody.contentType, Self.graphSchema)]),
                               .error(422, "an invalid template (with its diagnostics)")]) { request, _ in
                let format = RequestSupport.query(request, "format") ?? "svg"
                guard format == "svg" || format == "json" else { throw APIError.badRequest("?format= takes svg or json, not \(Slug.shown(format))") }
                let checked = try await checkedTemplate(request)
                if format == "json" { return JSONBody.raw(.ok, GraphJSON.encode(checked.graph)) }
                let diagram = DiagramBuilder(graph: checked.graph, template: checked.template, options: DiagramBuilder.Options()).build()
                let svg = try await GraphvizRenderer.shared.render(diagram, format: .svg)
                return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: svg)))
            },
            Endpoint(method: .post, path: "/api/v1/plan", operationID: "plan", summary: "The plan of a template, as `plan --format json`",
                     parameters: [.init("offline", in: .query, .boolean, "every job on the local engine"),
                                  .init("product_id", in: .query, .string(pattern: Endpoint.Parameter.idPattern),
                                        "count what this product's stored files (and picked takes) already made as cached"),
                                  .init("targets", in: .query, .string(), "comma-separated node ids, scene ids or stages"),
                                  .init("regenerate", in: .query, .string(),
                                        "comma-separated nodes to make a new take of: what would be remade (they and what depends on them) and what it would cost")],
                     body: .template,
                     replies: [.json(200, "the plan", .type("object")), .error(422, "an invalid template, or an unknown target")]) { request, _ in
                try await plan(request)
            },
        ]
    }

    /// `POST /api/v1/plan`: what would run, in what order, at what time and cost.
    func plan(_ request: Request) async throws -> Response {
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
        // `regenerate=hook.first_frame`: a new take of each, and what depends on them is remade.
        var remade = Set<Int>()
        if let list = RequestSupport.query(request, "regenerate"), !list.isEmpty {
            do { remade = RunSelection.forced(graph, regenerate: try RunSelection.regenerated(list.split(separator: ",").map(String.init), in: graph)) } catch {
                throw APIError.invalid("\(error)", diagnostics: [])
            }
        }
        var cached = Set<Int>()
        let product = try RequestSupport.query(request, "product_id").map { try Self.checkedID($0, what: "product id") }
        if product != nil || !remade.isEmpty {
            let inputs = try product.map { try store.hydrationInputs(product: $0, requireAssets: false) } ?? HydrationInputs()
            let resolver = InputResolver(templateDirectory: checked.loaded.directory, assets: inputs, replacements: inputs.replacements(for: graph))
            cached = CachePrediction.cachedNodes(graph, builder: JobBuilder(graph: graph, offline: offline),
                                                 inputs: resolver, cache: FileOutputCache(directory: options.workspace.cacheDirectory),
                                                 picks: try store.picks(template: checked.id), regenerate: remade)
        }
        guard let plan = Planner.plan(graph, limits: options.limits, offline: offline, targets: targets, cached: cached) else {
            throw APIError.invalid("the template's graph has a cycle", diagnostics: checked.diagnostics)
        }
        var bytes: [UInt8] = []
        PlanReport.json(plan) { bytes += $0 }
        return JSONBody.raw(.ok, Data(bytes))
    }

    /// `graph --format json`'s shape.
    static var graphSchema: JSONSchema {
        .object(["nodes": .array(of: .type("object")), "edges": .array(of: .type("object"))], required: ["nodes", "edges"])
    }

    struct Health: Encodable, Documented {
        var status: String
        var version: String
        /// Every job runs on the local engine (`serve --offline`): local models, $0.
        var offline: Bool
        static var schema: JSONSchema {
            .object(["status": .constant("ok"), "version": .string(), "offline": .boolean], required: ["status", "version"])
        }
    }

    /// `POST /api/v1/validate`: as `validate --format json`, and a YAML template as JSON.
    struct Validation: Encodable, Documented {
        var valid: Bool
        var diagnostics: [Diagnostic]
        var template: LocatedValue?
        static var schema: JSONSchema {
            .object(["valid": .boolean, "diagnostics": .array(of: Diagnostic.reference),
                     "template": .type("object", description: "a YAML body, as JSON (YAML requests only, when it parses to an object)")],
                    required: ["valid", "diagnostics"])
        }
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
