import Foundation
import SceneFlowTestSupport
import Testing

/// `sceneflow serve` end to end: a real server process on a loopback port, curl as the client.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd), .serialized) struct ServeTests {
    static let product = packageRoot.appendingPathComponent("samples/products/grinder/product.png")

    @Test func uploadRunWatchDownloadAndHistory() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        #expect(try await server.request("GET", "/api/v1/health").object["status"] as? String == "ok")
        let templates = try await server.request("GET", "/api/v1/templates").json as? [[String: Any]] ?? []
        #expect(Set(templates.compactMap { $0["id"] as? String }) == ["unboxing", "testimonial", "product-only"])

        let uploaded = try await server.upload("grinder", "product_1", [Self.product])
        #expect(uploaded.status == 201, "\(uploaded.text)")
        #expect((uploaded.json as? [[String: Any]])?.first?["type"] as? String == "png")

        let started = try await server.json("POST", "/api/v1/runs", ["template": "unboxing", "product_id": "grinder"])
        #expect(started.status == 202, "\(started.text)")
        let id = try #require(started.object["id"] as? String)

        // The events, from the start, until the run ends: numbered 1, 2, 3...
        let events = try await server.events(id)
        #expect(events.first?.event["event"] as? String == "run_started")
        #expect(events.last?.event["event"] as? String == "run_finished")
        #expect(events.last?.event["status"] as? String == "succeeded", "\(events.last?.event ?? [:])")
        #expect(events.map(\.id) == Array(1...events.count))
        // Resumed after event 3: the rest, nothing twice.
        let resumed = try await server.events(id, lastEventID: 3)
        #expect(resumed.map(\.id) == Array(4...events.count))

        let report = try await server.request("GET", "/api/v1/runs/\(id)")
        #expect(report.object["status"] as? String == "succeeded")
        #expect(report.object["final_video"] as? String == "final.mp4")

        // The cut, by range, as a video player asks for it.
        let part = try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4", ["-H", "Range: bytes=0-99"])
        #expect(part.status == 206 && part.body.count == 100)
        #expect(part.headers["content-type"] == "video/mp4")
        let size = try FileManager.default.attributesOfItem(atPath: server.workspace.appendingPathComponent("runs/\(id)/final.mp4").path)[.size] as? Int
        #expect(part.headers["content-range"] == "bytes 0-99/\(size ?? -1)")
        #expect(part.body.dropFirst(4).prefix(4) == Data("ftyp".utf8), "an MP4 starts with its ftyp box")
        let whole = try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4")
        #expect(whole.status == 200 && whole.body.count == size)
        #expect(try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4", ["-H", "Range: bytes=\(size ?? 0)-"]).status == 416)
        let diagram = try await server.request("GET", "/api/v1/runs/\(id)/graph.svg")
        #expect(diagram.status == 200 && diagram.text.contains("<svg"))
        // Its frames resolve, relative to where it is served.
        let images = diagram.text.components(separatedBy: "xlink:href=\"").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
            .filter { !$0.hasPrefix("data:") && !$0.hasPrefix("#") }
        #expect(!images.isEmpty && images.allSatisfy { $0.hasPrefix("files/") }, "\(images)")
        for image in Set(images) {
            #expect(try await server.request("GET", "/api/v1/runs/\(id)/\(image)").status == 200, "\(image)")
        }

        // HEAD answers as GET does, without a body; several ranges or a malformed one get the whole file.
        let head = try await server.request("HEAD", "/api/v1/runs/\(id)/files/final.mp4", ["-I"])
        // (curl -I writes the headers where the body would go: no more than that arrived.)
        #expect(head.status == 200 && head.headers["content-length"] == String(size ?? -1) && head.body.count < 1000, "\(head.headers)")
        #expect(try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4", ["-H", "Range: bytes=0-1,5-9"]).status == 200)
        #expect(try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4", ["-H", "Range: bytes=abc"]).status == 200)
        #expect(try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4", ["-H", "Range: bytes=5-2"]).status == 200, "an invalid range is ignored")
        let outside = try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4", ["-H", "Range: bytes=\(size ?? 0)-"])
        #expect(outside.headers["content-range"] == "bytes */\(size ?? -1)", "\(outside.headers)")
        // Pages: a run that exists, one that does not; a page path with another method.
        #expect(try await server.request("GET", "/runs/\(id)").status == 200)
        #expect(try await server.request("GET", "/runs/20990101-000000-deadbeef").status == 404)
        #expect(try await server.request("GET", "/templates/absent/hydrate").status == 404)
        #expect(try await server.request("DELETE", "/runs").status == 405)
        let noPage = try await server.request("GET", "/nope")
        #expect(noPage.status == 404 && noPage.headers["content-type"]?.hasPrefix("text/html") == true, "a page that does not exist is a page")
        #expect(try await server.request("GET", "/api/v1/nope").headers["content-type"]?.hasPrefix("application/json") == true)

        // An upload that names its slot's type is refused when it is the other kind of file.
        let video = packageRoot.appendingPathComponent("samples/products/grinder/demo.mp4")
        let wrongKind = try await server.request("POST", "/api/v1/products/grinder/assets/product_1?slot_type=product_image", ["-F", "file=@\(video.path)"])
        #expect(wrongKind.status == 422 && wrongKind.text.contains("takes a PNG, JPEG or WebP image"), "\(wrongKind.text)")
        #expect(try await server.request("POST", "/api/v1/products/grinder/assets/product_1?slot_type=poster", ["-F", "file=@\(video.path)"]).status == 400)
        let stillThere = try await server.request("GET", "/api/v1/products/grinder/assets").json as? [[String: Any]] ?? []
        #expect(stillThere.compactMap { $0["type"] as? String } == ["png"], "the refused video replaced nothing")

        // The history knows it, by template (the id the API uses, or the one written inside) and by product.
        for template in ["unboxing", "grinder-unboxing"] {
            let byTemplate = try await server.request("GET", "/api/v1/runs?template=\(template)").json as? [[String: Any]] ?? []
            #expect(byTemplate.first?["run_id"] as? String == id, "?template=\(template)")
        }
        let history = try await server.request("GET", "/api/v1/runs?product_id=grinder").json as? [[String: Any]] ?? []
        #expect(history.first?["run_id"] as? String == id && history.first?["status"] as? String == "succeeded")
        #expect((try await server.request("GET", "/api/v1/runs?product_id=other").json as? [Any])?.isEmpty == true)
        // A finished run cannot be cancelled.
        let cancel = try await server.request("POST", "/api/v1/runs/\(id)/cancel")
        #expect(cancel.status == 409 && cancel.errorCode == "conflict")
    }

    @Test func anInvalidRunRequestIs422AndNoRunExists() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let missing = try await server.json("POST", "/api/v1/runs", ["template": "unboxing", "product_id": "nothing-stored"])
        #expect(missing.status == 422, "\(missing.text)")
        let diagnostics = (missing.object["error"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        #expect(diagnostics.contains { $0["code"] as? String == "required-slot-empty" })
        #expect((try await server.request("GET", "/api/v1/runs").json as? [Any])?.isEmpty == true, "no run was created")
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: server.workspace.appendingPathComponent("runs").path)) ?? []
        #expect(runs.isEmpty, "no run folder: \(runs)")

        // An invalid template: 422 with its diagnostics, at their lines.
        try Data(#"{"schema_version": 1, "id": "broken", "scenes": [{"id": "a", "avatar": "nobody"}]}"#.utf8)
            .write(to: server.templates.appendingPathComponent("broken.json"))
        let broken = try await server.json("POST", "/api/v1/runs", ["template": "broken"])
        #expect(broken.status == 422 && broken.text.contains("unknown-avatar"), "\(broken.text)")
        #expect(try await server.json("POST", "/api/v1/runs", ["template": "absent"]).status == 404)
        let unknownTarget = try await server.json("POST", "/api/v1/runs", ["template": "product-only", "targets": ["nothing"]])
        #expect(unknownTarget.status == 422 || unknownTarget.status == 400, "\(unknownTarget.text)")
    }

    @Test func badRequestsGetTheContractsErrors() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        func check(_ reply: ServerProcess.Reply, _ status: Int, _ label: String) {
            #expect(reply.status == status, "\(label): \(reply.status) \(reply.text.prefix(300))")
            #expect(reply.errorCode != nil, "\(label): the error shape: \(reply.text.prefix(300))")
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, "\(label)")
        }
        check(try await server.request("GET", "/api/v1/nothing-here"), 404, "an unknown route")
        check(try await server.json("POST", "/api/v1/runs", ["template": "unboxing", "colour": "red"]), 400, "an unknown field")
        check(try await server.json("POST", "/api/v1/runs", ["template": 7]), 400, "a wrong type")
        check(try await server.json("POST", "/api/v1/runs", ["template": "unboxing", "max_cost": -1]), 400, "a negative budget")
        check(try await server.request("POST", "/api/v1/runs", ["-H", "Content-Type: application/json", "--data-binary", "{not json"]), 400, "malformed JSON")
        check(try await server.request("POST", "/api/v1/validate", ["-H", "Content-Type: text/csv", "--data-binary", "a,b"]), 415, "a wrong content type")
        for path in ["/api/v1/templates/..%2F..%2Fetc%2Fpasswd", "/api/v1/templates/%2e%2e", "/api/v1/templates/a%00b",
                     "/api/v1/products/..%2Fx/assets", "/api/v1/runs/..%2F..%2Fsceneflow.sqlite", "/api/v1/templates/UPPER"] {
            let reply = try await server.request("GET", path)
            #expect(reply.status == 400 || reply.status == 404, "\(path): \(reply.status)")
            #expect(!reply.text.contains("root:") && !reply.text.contains("SQLite"), "\(path)")
        }
        // An encoded slash is refused before any route sees it.
        check(try await server.request("GET", "/api/v1/runs/20990101-000000-deadbeef/files/..%2F..%2Fsceneflow.sqlite"), 400, "a file outside the run")

        // Too large: refused as it arrives.
        let big = server.folder.appendingPathComponent("big.json")
        try Data(repeating: 0x20, count: 17 << 20).write(to: big)
        check(try await server.request("POST", "/api/v1/validate", ["-H", "Content-Type: application/json", "--data-binary", "@\(big.path)"]), 413, "a 17 MB template")

        // A file that lies about its type.
        let liar = server.folder.appendingPathComponent("photo.png")
        try Data("this is text, not a PNG".utf8).write(to: liar)
        check(try await server.upload("grinder", "product_1", [liar]), 422, "a text file named .png")
        check(try await server.request("POST", "/api/v1/products/grinder/assets/product_1", ["-H", "Content-Type: application/json", "--data-binary", "{}"]), 415, "an upload that is not multipart")
        #expect(try await server.request("DELETE", "/api/v1/products/grinder/assets/product_1").status == 404)

        // Validate reports a broken template in the body; it is not an error of the request.
        let syntax = try await server.request("POST", "/api/v1/validate", ["-H", "Content-Type: application/json", "--data-binary", #"{"schema_version": 1,"#])
        #expect(syntax.status == 200 && syntax.object["valid"] as? Bool == false && syntax.text.contains("syntax-error"))
        let yaml = try await server.request("POST", "/api/v1/validate", ["-H", "Content-Type: application/yaml", "--data-binary",
                                                                          "@\(server.templates.appendingPathComponent("testimonial.yaml").path)"])
        #expect(yaml.status == 200 && yaml.object["valid"] as? Bool == true, "\(yaml.text.prefix(300))")
    }

    @Test func savingATemplateNeverLosesWork() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let invalid = #"{"schema_version": 1, "id": "draft", "scenes": [{"id": "a", "avatar": "nobody"}]}"#
        let file = server.folder.appendingPathComponent("draft.json")
        try Data(invalid.utf8).write(to: file)
        let saved = try await server.request("PUT", "/api/v1/templates/draft", ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"])
        #expect(saved.status == 201 && saved.object["valid"] as? Bool == false, "\(saved.text)")
        #expect(try String(contentsOf: server.templates.appendingPathComponent("draft.json"), encoding: .utf8) == invalid, "saved as sent")
        let again = try await server.request("PUT", "/api/v1/templates/draft", ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"])
        #expect(again.status == 200)
        let read = try await server.request("GET", "/api/v1/templates/draft")
        #expect(((read.object["template"] as? [String: Any])?["id"] as? String) == "draft")
        #expect((read.object["diagnostics"] as? [[String: Any]])?.contains { $0["code"] as? String == "unknown-avatar" } == true)
        // Racing saves of one template: every reader sees one whole version.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await server.request("PUT", "/api/v1/templates/draft", ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"]).status }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(try String(contentsOf: server.templates.appendingPathComponent("draft.json"), encoding: .utf8) == invalid)
        // YAML would break a .json file: refused, and the file is as it was.
        let yaml = server.folder.appendingPathComponent("draft.yaml")
        try Data("schema_version: 1\nid: draft\n".utf8).write(to: yaml)
        let mismatch = try await server.request("PUT", "/api/v1/templates/draft", ["-H", "Content-Type: application/yaml", "--data-binary", "@\(yaml.path)"])
        #expect(mismatch.status == 415, "\(mismatch.text)")
        #expect(try String(contentsOf: server.templates.appendingPathComponent("draft.json"), encoding: .utf8) == invalid)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: server.templates.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "no temporary files left: \(leftovers)")
    }

    @Test func accessRules() async throws {
        // Another origin may not change anything; the server's own may.
        let local = try await ServerProcess.start()
        let foreign = try await local.json("POST", "/api/v1/runs", ["template": "unboxing"]).status
        #expect(foreign != 403)
        let crossSite = try await local.request("POST", "/api/v1/validate", ["-H", "Origin: http://evil.example", "--data-binary", "{}"])
        #expect(crossSite.status == 403 && crossSite.errorCode == "forbidden")
        let fetchSite = try await local.request("PUT", "/api/v1/templates/x", ["-H", "Sec-Fetch-Site: cross-site", "--data-binary", "{}"])
        #expect(fetchSite.status == 403)
        let sameOrigin = try await local.request("POST", "/api/v1/validate", ["-H", "Origin: \(local.base)", "-H", "Content-Type: application/json", "--data-binary", "{}"])
        #expect(sameOrigin.status == 200)
        _ = await local.stop()

        // Not loopback: no start without a token...
        let refused = try await run(sceneflowBinary, ["serve", packageRoot.appendingPathComponent("samples").path, "--host", "0.0.0.0", "--port", String(try unusedPort())],
                                    environment: ["SCENEFLOW_TOKEN": ""], timeout: 30)
        #expect(refused.status == 64 && refused.stderr.contains("SCENEFLOW_TOKEN"), "\(refused.stderr)")
        // ...and with one, every /api/ request needs it.
        let token = "test-token-5f2a9c"
        let guarded = try await ServerProcess.start(host: "0.0.0.0", environment: ["SCENEFLOW_TOKEN": token])
        defer { Task { _ = await guarded.stop() } }
        let anonymous = try await guarded.request("GET", "/api/v1/health")
        #expect(anonymous.status == 401 && anonymous.errorCode == "unauthorized")
        #expect(try await guarded.request("GET", "/api/v1/health", ["-H", "Authorization: Bearer wrong"]).status == 401)
        let authorized = try await guarded.request("GET", "/api/v1/templates", ["-H", "Authorization: Bearer \(token)"])
        #expect(authorized.status == 200 && !authorized.text.contains(token))
        // The dashboard's cookie is the token too (images and video cannot send a header).
        #expect(try await guarded.request("GET", "/api/v1/health", ["-H", "Cookie: other=1; sceneflow_token=\(token)"]).status == 200)
        #expect(try await guarded.request("GET", "/api/v1/health", ["-H", "Cookie: sceneflow_token=wrong"]).status == 401)
        // The pages hold no data and load without it; a page never contains the token.
        let page = try await guarded.request("GET", "/")
        #expect(page.status == 200 && !page.text.contains(token))
    }

    @Test func sigtermCancelsTheRunsInFlightAndRecordsThem() async throws {
        let server = try await ServerProcess.start()
        let products = packageRoot.appendingPathComponent("samples/products/grinder")
        for (key, file) in [("product_1", "product.png"), ("brand_logo", "logo.png"), ("size_coin", "coin.png")] {
            #expect(try await server.upload("grinder", key, [products.appendingPathComponent(file)]).status == 201)
        }
        let started = try await server.json("POST", "/api/v1/runs", ["template": "testimonial", "product_id": "grinder"])
        #expect(started.status == 202, "\(started.text)")
        let id = try #require(started.object["id"] as? String)
        // Once the run has started work, stop the server.
        let runJSON = server.workspace.appendingPathComponent("runs/\(id)/run.json")
        _ = await waitUntil(timeout: 30, interval: 0.05) { FileManager.default.fileExists(atPath: runJSON.path) }
        let workspace = server.workspace.path
        server.process.send(SIGTERM)
        let outcome = await server.process.exit()
        #expect(outcome.termination == .exited(0), "\(outcome.termination): \(String(decoding: outcome.stderr, as: UTF8.self).suffix(1500))")
        let history = try await sceneflow(["runs", "show", id, "--workspace", workspace])
        #expect(history.status == 0 && history.stdout.contains("cancelled"), "\(history.stdout) \(history.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: runJSON)) as? [String: Any]
        #expect(report?["status"] as? String == "cancelled")
        try? FileManager.default.removeItem(at: server.folder)
    }
}

/// Runs of a server share its provider limits, as a batch's products do: counted at the fake
/// provider server, never more fal jobs in flight than `--limit fal=2`, and the limit reached.
@Suite(.timeLimit(.minutes(6)), .tags(.endToEnd), .serialized) struct ServeLimitTests {
    @Test func concurrentRunsShareTheProviderLimits() async throws {
        let providers = try await FakeProviders(scenario: ["fal_work_seconds": 0.6])
        let server = try await ServerProcess.start(arguments: ["--limit", "fal=2", "--concurrency", "16"], environment: providers.environment)
        defer { Task { _ = await server.stop() } }
        var ids: [String] = []
        for n in 0..<3 {
            // A product of its own each, so no run's jobs are another's (no cache, no coalescing).
            let image = server.folder.appendingPathComponent("p\(n).png")
            let made = try await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=c=0x\(["C04020", "20C040", "4020C0"][n]):s=32x32", "-frames:v", "1", image.path])
            #expect(made.status == 0)
            #expect(try await server.upload("p\(n)", "product_1", [image]).status == 201)
        }
        for n in 0..<3 {
            let started = try await server.json("POST", "/api/v1/runs", ["template": "unboxing", "product_id": "p\(n)", "targets": ["frames"]])
            #expect(started.status == 202, "\(started.text)")
            ids.append(started.object["id"] as? String ?? "")
        }
        for id in ids {
            let events = try await server.events(id)
            #expect(events.last?.event["status"] as? String == "succeeded", "\(events.last?.event ?? [:])")
        }
        // Submitted and not yet collected, over time.
        var inFlight = 0, most = 0
        for request in providers.requests().sorted(by: { $0.time < $1.time }) {
            if request.route == "fal.submit" { inFlight += 1 }
            if request.route == "fal.result" { inFlight -= 1 }
            most = max(most, inFlight)
        }
        #expect(providers.requests("fal.submit").count >= 6, "every run's frames went to fal")
        #expect(most == 2, "fal had \(most) jobs in flight at most; the limit is 2")
    }
}

@Suite(.timeLimit(.minutes(3)), .tags(.endToEnd), .serialized) struct ServeUploadLimitTests {
    /// A body declared larger than any upload is refused before it is read (413), and nothing
    /// is stored. (The 64 MB image cap itself is the asset store's: `StoreTests`.)
    @Test func anOversizedUploadIs413BeforeItIsRead() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let reply = try await server.request("POST", "/api/v1/products/grinder/assets/product_1",
                                             ["-H", "Content-Type: multipart/form-data; boundary=x", "-H", "Content-Length: 2000000000",
                                              "--data-binary", "--x--", "--max-time", "20"])
        #expect(reply.status == 413 && reply.errorCode == "too_large", "\(reply.status) \(reply.text.prefix(300))")
        #expect((try await server.request("GET", "/api/v1/products/grinder/assets").json as? [Any])?.isEmpty == true)
    }
}
