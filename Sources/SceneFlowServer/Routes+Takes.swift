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
    func addTakeRoutes(to router: Router<BasicRequestContext>) {
        router.getAndHead("/api/v1/runs/:id/nodes/:node/takes") { _, context in
            let (id, takes) = try nodeTakes(context)
            let picked = try database.picks(template: takes.report.template.id)[takes.jobKey]
            let listing = takes.listing(picked: picked) { "/api/v1/runs/\(id)/nodes/\(takes.node.id)/takes/\($0)" }
            return JSONBody.raw(.ok, try listing.encoded())
        }
        router.getAndHead("/api/v1/runs/:id/nodes/:node/takes/:take") { request, context in
            let (_, takes) = try nodeTakes(context)
            let stored = try output(takes, try Self.takeNumber(context))
            return try FileResponse.response(for: stored.url, inside: stored.url.deletingLastPathComponent(), request: request)
        }
        router.post("/api/v1/runs/:id/nodes/:node/takes/:take/pick") { _, context in
            let (_, takes) = try nodeTakes(context)
            let take = try Self.takeNumber(context)
            _ = try output(takes, take)
            let previous = try takes.pick(take, in: database)
            return JSONBody.response(TakePicked(node: takes.node.id, jobKey: takes.jobKey, picked: take, previous: previous))
        }
        router.getAndHead("/api/v1/products/:product_id/assets/:asset_key/files/:sha256") { request, context in
            let product = try RequestSupport.id(context, "product_id", what: "product id")
            let key = try Self.assetKey(context)
            let sha = context.parameters.get("sha256") ?? ""
            guard sha.count == 64, sha.allSatisfy(\.isHexDigit) else { throw APIError.badRequest("\"\(Slug.shown(sha))\" is not a SHA-256") }
            guard let asset = try database.assets(product: product).first(where: { $0.key == key && $0.sha256 == sha.lowercased() }) else {
                throw APIError.notFound("product \"\(product)\" has no file \(sha.prefix(12))… for \"\(key)\"")
            }
            let file = database.file(of: asset)
            return try FileResponse.response(for: file, inside: file.deletingLastPathComponent(), request: request)
        }
    }

    struct TakePicked: Encodable {
        var node: String
        var jobKey: String
        var picked: Int
        var previous: Int?
        enum CodingKeys: String, CodingKey { case node, picked, previous; case jobKey = "job_key" }
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
