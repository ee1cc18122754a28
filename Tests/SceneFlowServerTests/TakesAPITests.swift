import Foundation
import SceneFlowTestSupport
import Testing

/// Reviewing takes over the API, as the run page does: a frame regenerated, both takes listed
/// with their files, one picked and used by the next run; a stored asset's bytes for thumbnails.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd), .serialized) struct TakesAPITests {
    @Test func takesAreListedServedAndPicked() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let product = packageRoot.appendingPathComponent("samples/products/grinder/product.png")
        #expect(try await server.upload("grinder", "product_1", [product]).status == 201)

        // The asset's bytes, at the URL its listing gives: what was uploaded.
        let assets = try await server.request("GET", "/api/v1/products/grinder/assets").json as? [[String: Any]] ?? []
        let url = try #require(assets.first?["url"] as? String)
        let bytes = try await server.request("GET", url)
        let original = try Data(contentsOf: product)
        #expect(bytes.status == 200 && bytes.body == original && bytes.headers["content-type"] == "image/png")
        #expect(try await server.request("GET", "/api/v1/products/grinder/assets/product_1/files/\(String(repeating: "0", count: 64))").status == 404)
        #expect(try await server.request("GET", "/api/v1/products/grinder/assets/product_1/files/nothex").status == 400)
        #expect(try await server.request("GET", "/api/v1/products/other/assets/product_1/files/\(assets.first?["sha256"] as? String ?? "")").status == 404)

        // Frames first, then a new take of one frame.
        func run(_ body: [String: Any]) async throws -> String {
            let started = try await server.json("POST", "/api/v1/runs", body)
            #expect(started.status == 202, "\(started.text)")
            let id = try #require(started.object["id"] as? String)
            #expect(try await server.events(id).last?.event["status"] as? String == "succeeded")
            return id
        }
        // The plan for this product: everything before anything ran; after frames first, the
        // frames are found in the cache and only the rest would run.
        let template = try Data(contentsOf: server.templates.appendingPathComponent("unboxing.json"))
        func plan(_ query: String) async throws -> [String: Any] {
            let file = server.folder.appendingPathComponent("plan-body.json")
            try template.write(to: file)
            return try await server.request("POST", "/api/v1/plan\(query)", ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"]).object
        }
        let before = try await plan("?product_id=grinder")
        #expect(before["jobs_to_run"] as? Int == 9 && before["jobs_cached"] as? Int == 0, "\(before)")
        #expect(try await plan("?product_id=grinder&targets=frames")["jobs_to_run"] as? Int == 3)
        let first = try await run(["template": "unboxing", "product_id": "grinder", "targets": ["frames"]])
        let after = try await plan("?product_id=grinder")
        #expect(after["jobs_cached"] as? Int == 3 && after["jobs_to_run"] as? Int == 6, "the frames are made: \(after)")
        #expect(try await plan("?product_id=grinder&targets=frames")["jobs_to_run"] as? Int == 0)
        #expect(try await plan("")["jobs_to_run"] as? Int == 9, "without a product nothing is known to be made")
        let unknown = try await server.request("POST", "/api/v1/plan?targets=nope", ["-H", "Content-Type: application/json", "--data-binary", "@\(server.folder.appendingPathComponent("plan-body.json").path)"])
        #expect(unknown.status == 422, "\(unknown.text)")
        let second = try await run(["template": "unboxing", "product_id": "grinder", "targets": ["frames"], "regenerate": ["hook.first_frame"]])
        let listing = try await server.request("GET", "/api/v1/runs/\(second)/nodes/hook.first_frame/takes")
        #expect(listing.status == 200, "\(listing.text)")
        let takes = listing.object["takes"] as? [[String: Any]] ?? []
        #expect(takes.compactMap { $0["take"] as? Int } == [1, 2])
        #expect(listing.object["used"] as? Int == 2 && listing.object["picked"] == nil)
        #expect(!listing.text.contains(server.workspace.path), "no server path in the listing")
        // Each take's file is an image, and the two differ.
        var digests: [String] = []
        for take in takes {
            let file = try await server.request("GET", try #require(take["url"] as? String))
            #expect(file.status == 200 && file.headers["content-type"] == "image/png" && file.body.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
            digests.append(take["sha256"] as? String ?? "")
        }
        #expect(Set(digests).count == 2, "two different takes")

        // Pick take 1: the listing says so, and the next run uses it.
        let picked = try await server.request("POST", "/api/v1/runs/\(second)/nodes/hook.first_frame/takes/1/pick")
        #expect(picked.status == 200 && picked.object["picked"] as? Int == 1, "\(picked.text)")
        #expect(try await server.request("GET", "/api/v1/runs/\(second)/nodes/hook.first_frame/takes").object["picked"] as? Int == 1)
        let third = try await run(["template": "unboxing", "product_id": "grinder"])
        let report = try await server.request("GET", "/api/v1/runs/\(third)")
        let node = (report.object["nodes"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "hook.first_frame" }
        #expect((node?["take"] as? Int ?? 1) == 1 && node?["sha256"] as? String == digests[0], "the continued run uses the picked take")
        _ = first

        // Wrong takes, nodes and runs.
        #expect(try await server.request("POST", "/api/v1/runs/\(second)/nodes/hook.first_frame/takes/9/pick").status == 404)
        #expect(try await server.request("GET", "/api/v1/runs/\(second)/nodes/hook.first_frame/takes/0").status == 400)
        #expect(try await server.request("GET", "/api/v1/runs/\(second)/nodes/nope.first_frame/takes").status == 404)
        #expect(try await server.request("GET", "/api/v1/runs/\(second)/nodes/a..b/takes").status == 400)
        #expect(try await server.request("GET", "/api/v1/runs/20990101-000000-deadbeef/nodes/hook.first_frame/takes").status == 404)
        #expect(try await server.request("GET", "/api/v1/runs/\(second)/nodes/asset:product_1/takes").status == 409, "an input has no takes")
        let foreign = try await server.request("POST", "/api/v1/runs/\(second)/nodes/hook.first_frame/takes/2/pick", ["-H", "Origin: https://evil.example"])
        #expect(foreign.status == 403)
    }
}
