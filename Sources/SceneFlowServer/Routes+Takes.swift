import Foundation
import Hummingbird
import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore
import SceneFlowTemplate

/// A node's takes, for review: list them (with a URL for each take's file), serve a take's
/// file, pick one (later runs of the job use it, as `sceneflow takes pick` does). A stored
/// product asset's bytes, for the hydrate page's thumbnails.
extension SceneFlowServer {
    var takeEndpoints: [Endpoint] {
        [
            Endpoint(method: .get, path: "/api/v1/runs/{id}/nodes/{node}/takes", operationID: "listTakes",
                     summary: "A node's takes, each with the URL of its file, the picked one and the one this run used",
                     parameters: [.runID, .node],
                     replies: [.json(200, "the takes", TakeList.self), .error(404, "no such run or node"),
                               .error(409, "a node without takes (a rehearsal, an input, a job that never started)")]) { _, context in
                let (id, takes) = try nodeTakes(context)
                let picked = try store.picks(template: takes.report.template.id)[takes.jobKey]
                let listing = takes.listing(picked: picked) { "/api/v1/runs/\(id)/nodes/\(takes.node.id)/takes/\($0)" }
                return JSONBody.raw(.ok, try listing.encoded())
            },
            Endpoint(method: .get, path: "/api/v1/runs/{id}/nodes/{node}/takes/{take}", operationID: "takeFile",
                     summary: "A take's file, with Range support", parameters: [.runID, .node, .take, .range],
                     replies: Endpoint.Reply.file + [.error(404, "no such run, node or take"), .error(409, "the take is no longer in the cache")]) { request, context in
                let (_, takes) = try nodeTakes(context)
                let stored = try output(takes, try Self.takeNumber(context))
                return try FileResponse.response(for: stored.url, inside: stored.url.deletingLastPathComponent(), request: request)
            },
            Endpoint(method: .post, path: "/api/v1/runs/{id}/nodes/{node}/takes/{take}/pick", operationID: "pickTake",
                     summary: "Approve a take: later runs of the same job of this template use it (as `sceneflow takes pick`)",
                     parameters: [.runID, .node, .take],
                     replies: [.json(200, "picked", TakePicked.self), .error(404, "no such run, node or take"),
                               .error(409, "the take cannot be picked")]) { _, context in
                let (_, takes) = try nodeTakes(context)
                let take = try Self.takeNumber(context)
                _ = try output(takes, take)
                let previous = try takes.pick(take, in: store)
                return JSONBody.response(TakePicked(node: takes.node.id, jobKey: takes.jobKey, picked: take, previous: previous))
            },
            Endpoint(method: .get, path: "/api/v1/products/{product_id}/assets/{asset_key}/files/{sha256}", operationID: "assetFile",
                     summary: "A stored asset's bytes (the pages' thumbnails)",
                     parameters: [.productID, .assetKey, .init("sha256", in: .path, .string(pattern: "^[0-9a-fA-F]{64}$"), "the file's SHA-256"), .range],
                     replies: Endpoint.Reply.file + [.error(404, "the product has no such file for that key")]) { request, context in
                let product = try RequestSupport.id(context, "product_id", what: "product id")
                let key = try Self.assetKey(context)
                let sha = context.parameters.get("sha256") ?? ""
                guard sha.count == 64, sha.allSatisfy(\.isHexDigit) else { throw APIError.badRequest("\"\(Slug.shown(sha))\" is not a SHA-256") }
                guard let asset = try store.assets(product: product).first(where: { $0.key == key && $0.sha256 == sha.lowercased() }) else {
                    throw APIError.notFound("product \"\(product)\" has no file \(sha.prefix(12))… for \"\(key)\"")
                }
                let file = store.file(of: asset)
                return try FileResponse.response(for: file, inside: file.deletingLastPathComponent(), request: request)
            },
        ]
    }

    /// `GET .../takes`: `NodeTakes.Listing`, the shape `takes list --format json` prints.
    typealias TakeList = NodeTakes.Listing
}

extension NodeTakes.Listing: Documented {
    static var componentName: String { "TakeList" }
    static var schema: JSONSchema {
        .object(["run": .string(), "node": .string(), "job_key": .string(), "used": .integer, "picked": .nullable("integer"),
                 "takes": .array(of: .object(["take": .integer, "made_at": .string(), "model": .string(), "request_id": .string(),
                                              "cost": .string(), "sha256": .string(), "url": .string(description: "the take's file"),
                                              "missing": .string(description: "why the take cannot be used")], required: ["take"]))],
                required: ["run", "node", "job_key", "used", "takes"])
    }
}

extension SceneFlowServer {
    struct TakePicked: Encodable, Documented {
        var node: String
        var jobKey: String
        var picked: Int
        var previous: Int?
        enum CodingKeys: String, CodingKey { case node, picked, previous; case jobKey = "job_key" }
        static var schema: JSONSchema {
            .object(["node": .string(), "job_key": .string(), "picked": .integer, "previous": .nullable("integer")], required: ["node", "job_key", "picked"])
        }
    }

    /// The run and node of the path, and the node's takes (404 for an unknown run or node; 409
    /// for a node that has none: a rehearsal, an input, a job that never started).
    func nodeTakes(_ context: some RequestContext) throws -> (String, NodeTakes) {
        let id = try RequestSupport.id(context, "id", what: "run id")
        let node = context.parameters.get("node") ?? ""
        guard Self.isNodeID(node) else { throw APIError.badRequest("\"\(Slug.shown(node))\" is not a node id") }
        let run: LoadedRun
        do { run = try LoadedRun.read(try runFolder(id).path) } catch let error as APIError { throw error } catch {
            throw APIError.conflict("run \(id) has no report yet")
        }
        do {
            return (id, try NodeTakes(report: run.report, node: node, cache: FileOutputCache(directory: options.workspace.cacheDirectory)))
        } catch {
            if case .noNode = error { throw APIError.notFound(error.description) }
            throw APIError.conflict(error.description)
        }
    }

    func output(_ takes: NodeTakes, _ take: Int) throws -> StoredOutput {
        do { return try takes.output(take) } catch {
            if case .noTake = error { throw APIError.notFound(error.description) }
            throw APIError.conflict(error.description)
        }
    }

    static func takeNumber(_ context: some RequestContext) throws -> Int {
        let text = context.parameters.get("take") ?? ""
        guard let take = Int(text), take >= 1, take <= 100_000 else { throw APIError.badRequest("\"\(Slug.shown(text))\" is not a take number") }
        return take
    }

    /// A node id as run reports write them: `scene.kind` (`hook.first_frame`), `final.video`,
    /// an input's `kind:id` (`asset:product_1`). Lowercase letters, digits and `_-.:`, no `..`.
    static func isNodeID(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 200, !text.contains("..") else { return false }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789_-.:")
        return CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789").contains(first) && text.unicodeScalars.allSatisfy(allowed.contains)
    }
}
