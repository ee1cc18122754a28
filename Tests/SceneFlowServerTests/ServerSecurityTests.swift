import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The server as an attacker tries it (issue 22): every spelling of every route against its
/// access rule, hosts that are not this server, framing no client sends, YAML that expands,
/// signals with watchers attached, a kill -9, a full disk, an input deleted mid-run, weak
/// tokens, and what every response carries. Each against a real `sceneflow serve` process.
@Suite(.timeLimit(.minutes(10)), .serialized, .tags(.endToEnd)) struct ServerSecurityTests {
    static let token = "s3cret-token-0123456789abcdef"
    static let product = packageRoot.appendingPathComponent("samples/products/grinder/product.png")

    /// Stores the grinder's files for the testimonial sample (six scenes: a run long enough to act during).
    static func storeTestimonialProduct(_ server: ServerProcess) async throws {
        for (key, file) in [("product_1", "product.png"), ("brand_logo", "logo.png"), ("size_coin", "coin.png")] {
            let reply = try await server.upload("grinder", key, [packageRoot.appendingPathComponent("samples/products/grinder/\(file)")])
            #expect(reply.status == 201, "\(key): \(reply.text)")
        }
    }

    /// A failing spelling is replayed by its seed.
    typealias Seeded = SplitMix64

    /// The routes of the server's own document, with sample values for their parameters, and the pages.
    static func routes(_ server: ServerProcess, authorization: [String]) async throws -> [(method: String, path: String)] {
        let document = await server.raw(RawHTTP.request("GET", "/openapi.json", headers: ["Host: 127.0.0.1"] + authorization))
        let paths = try #require((try JSONSerialization.jsonObject(with: document.body) as? [String: Any])?["paths"] as? [String: [String: Any]])
        let samples = ["{product_id}": "grinder", "{asset_key}": "product_1", "{name}": "run.json", "{node}": "hook.first_frame",
                       "{take}": "1", "{sha256}": String(repeating: "0", count: 64)]
        var routes: [(String, String)] = []
        for (template, operations) in paths {
            var path = template
            for (parameter, value) in samples { path = path.replacingOccurrences(of: parameter, with: value) }
            path = path.replacingOccurrences(of: "{id}", with: template.hasPrefix("/api/v1/runs") ? "20990101-000000-deadbeef" : "unboxing")
            for method in operations.keys where ["get", "post", "put", "delete"].contains(method) { routes.append((method.uppercased(), path)) }
        }
        for page in ["/", "/runs", "/templates/new", "/templates/unboxing", "/templates/unboxing/hydrate", "/static/app.js"] { routes.append(("GET", page)) }
        return routes.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    /// A spelling of `path` and whether the server must refuse it outright (400).
    static func spelling(of path: String, using random: inout Seeded) -> (target: String, refused: Bool) {
        var segments = path.split(separator: "/").map(String.init)
        var refused = false
        var slashes = Array(repeating: "/", count: segments.count + 1)
        switch random.next() % 9 {
        case 0: // a doubled or tripled slash somewhere
            slashes[Int(random.next() % UInt64(max(1, slashes.count - 1)))] = random.next() % 2 == 0 ? "//" : "///"
        case 1: // a trailing slash
            slashes[slashes.count - 1] = "//"
        case 2: // an unreserved letter percent-encoded (either case of hex)
            if !segments.isEmpty {
                let s = Int(random.next() % UInt64(segments.count))
                if let c = segments[s].first(where: { $0.isLetter }) {
                    let hex = String(format: random.next() % 2 == 0 ? "%%%02X" : "%%%02x", c.asciiValue ?? 0)
                    segments[s] = segments[s].replacingOccurrences(of: String(c), with: hex)
                }
            }
        case 3: // a dot segment
            segments.insert(random.next() % 2 == 0 ? "." : "%2e", at: Int(random.next() % UInt64(segments.count + 1)))
            slashes.append("/")
            refused = true
        case 4: // up and back down
            segments.insert(contentsOf: ["x", random.next() % 2 == 0 ? ".." : "%2E%2e"], at: Int(random.next() % UInt64(segments.count + 1)))
            slashes.append(contentsOf: ["/", "/"])
            refused = true
        case 5: // an encoded slash or backslash inside a segment
            if !segments.isEmpty {
                let s = Int(random.next() % UInt64(segments.count))
                segments[s] += ["%2F", "%2f", "%5C", "%00"][Int(random.next() % 4)] + "x"
                refused = true
            }
        case 6: // many slashes everywhere
            slashes = slashes.map { _ in "//" }
        case 7: // a raw backslash
            if !segments.isEmpty { segments[0] = "\\" + segments[0]; refused = true }
        default: // absolute form
            break
        }
        var target = ""
        for (i, segment) in segments.enumerated() { target += slashes[i] + segment }
        if segments.isEmpty { target = slashes[0] }
        return (target.isEmpty ? "/" : target, refused)
    }

    @Test func everySpellingOfEveryRouteMeetsTheCanonicalRoutesAccessRule() async throws {
        let server = try await ServerProcess.start(host: "0.0.0.0", environment: ["SCENEFLOW_TOKEN": Self.token])
        defer { Task { _ = await server.stop() } }
        let bearer = ["Authorization: Bearer \(Self.token)"]
        let routes = try await Self.routes(server, authorization: bearer)
        #expect(routes.count > 25, "the document lists the routes: \(routes.count)")
        let before = try Self.listing(server.folder)
        var random = Seeded(seed: 22)
        var tried = 0
        for route in routes {
            // The canonical spelling with the token: what every other spelling must match.
            let canonical = await server.raw(RawHTTP.request(route.method, route.path, headers: ["Host: 127.0.0.1"] + bearer))
            for attempt in 0..<10 {
                var (target, refused) = Self.spelling(of: route.path, using: &random)
                if attempt == 9 { target = "http://127.0.0.1:\(server.port)" + target }
                let label = "\(route.method) \(target) (for \(route.path))"
                tried += 1
                let anonymous = await server.raw(RawHTTP.request(route.method, target))
                if refused {
                    #expect(anonymous.status == 400 && anonymous.errorCode == "bad_request", "\(label): \(anonymous.status) \(anonymous.text.prefix(200))")
                    continue
                }
                if route.path.hasPrefix("/api/") {
                    #expect(anonymous.status == 401, "\(label) without the token: \(anonymous.status) \(anonymous.text.prefix(200))")
                } else {
                    #expect(anonymous.status == canonical.status, "\(label): \(anonymous.status), canonical \(canonical.status)")
                }
                guard route.method == "GET" else { continue }
                let authorized = await server.raw(RawHTTP.request(route.method, target, headers: ["Host: 127.0.0.1"] + bearer))
                #expect(authorized.status == canonical.status, "\(label) with the token: \(authorized.status), canonical \(canonical.status)")
            }
        }
        print("path spellings tried: \(tried) over \(routes.count) routes")
        // Nothing refused reached a route that writes: the folders are as they were.
        #expect(try Self.listing(server.folder) == before)
    }

    static func listing(_ folder: URL) throws -> [String] {
        (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? [])
            .filter { !$0.hasPrefix("ws/tmp") && !$0.hasPrefix("ws/sceneflow.sqlite") && !$0.hasPrefix("headers-") && !$0.hasPrefix("body-") }.sorted()
    }

    @Test func aLoopbackServerAnswersOnlyTheHostsThatNameIt() async throws {
        let server = try await ServerProcess.start(arguments: ["--offline", "--allowed-host", "studio.internal"])
        defer { Task { _ = await server.stop() } }
        let port = server.port
        let cases: [(host: String?, status: Int)] = [
            ("127.0.0.1", 200), ("127.0.0.1:\(port)", 200), ("localhost", 200), ("LocalHost:\(port)", 200), ("[::1]", 200),
            ("[::1]:\(port)", 200), ("studio.internal", 200), ("studio.internal:\(port)", 200),
            ("evil.example", 421), ("evil.example:\(port)", 421), ("localhost:\(port + 1)", 421), ("localhost.", 421),
            ("127.0.0.1.evil.example", 421), ("169.254.169.254", 421), ("0.0.0.0", 421), ("2130706433", 421),
            ("user@localhost", 400), ("localhost:", 400), ("localhost:99999", 400), ("[::1", 400), ("local host", 400), (nil, 400),
        ]
        for path in ["/api/v1/health", "/", "/openapi.json", "/static/app.js", "/api/v1/nothing"] {
            for item in cases {
                let headers = item.host.map { ["Host: \($0)"] } ?? []
                let reply = await server.raw(RawHTTP.request("GET", path, headers: headers))
                let expected = item.status == 200 && path == "/api/v1/nothing" ? 404 : item.status
                #expect(reply.status == expected, "Host \(item.host ?? "(none)") on \(path): \(reply.status) \(reply.text.prefix(160))")
                if expected != 200 { #expect(reply.errorCode != nil || reply.headers["content-type"]?.hasPrefix("text/html") == true, "\(path): the error shape") }
            }
        }
        // Two Host headers, and a page on another name writing through a rebound address.
        #expect(await server.raw(RawHTTP.request("GET", "/api/v1/health", headers: ["Host: 127.0.0.1", "Host: evil.example"])).status == 400)
        let rebound = await server.raw(RawHTTP.request("PUT", "/api/v1/templates/planted", headers: [
            "Host: evil.example:\(port)", "Origin: http://evil.example:\(port)", "Content-Type: application/json",
        ], body: Array(#"{"schema_version": 1, "id": "planted"}"#.utf8)))
        #expect(rebound.status == 421, "\(rebound.status) \(rebound.text)")
        #expect(!FileManager.default.fileExists(atPath: server.templates.appendingPathComponent("planted.json").path))
        // The server's own origin may write.
        let own = await server.raw(RawHTTP.request("PUT", "/api/v1/templates/own", headers: [
            "Host: localhost:\(port)", "Origin: http://localhost:\(port)", "Content-Type: application/json",
        ], body: Array(#"{"schema_version": 1, "id": "own"}"#.utf8)))
        #expect(own.status == 201, "\(own.status) \(own.text)")
    }

    @Test func malformedFramingIsAnsweredInTheErrorShape() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let cases: [(String, String, Int)] = [
            ("a bad chunk size", "POST /api/v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
            ("a negative length", "POST /api/v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n", 400),
            ("two lengths", "POST /api/v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
            ("a length beside chunking", "POST /api/v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400),
            ("a length that is not a number", "POST /api/v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1e3\r\n\r\n", 400),
            ("headers too large", "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + String(repeating: "a", count: 100_000) + "\r\n\r\n", 431),
            ("a space in a header name", "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n", 400),
            ("a bare LF request line", "GET /api/v1/health HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 400),
            ("a control character in the target", "GET /api/v1/he\u{7F}alth HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
            ("an asterisk target", "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ]
        for (label, request, status) in cases {
            let reply = await server.raw(Array(request.utf8))
            #expect(reply.status == status, "\(label): \(reply.status) \(String(decoding: reply.raw.prefix(300), as: UTF8.self))")
            #expect(reply.errorCode == "bad_request", "\(label): the error shape: \(reply.text.prefix(200))")
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, "\(label)")
            #expect(reply.headers["x-content-type-options"] == "nosniff", "\(label)")
        }
        #expect(await server.raw(RawHTTP.request("GET", "/api/v1/health")).status == 200, "the server is still there")
    }

    /// `a0: &a0 [lol × 9]`, `a1: &a1 [*a0 × 9]` … nine levels: 390 bytes that expand to 387 million values.
    static let aliasBomb: String = {
        var lines = [#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        for i in 1..<9 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test func aYAMLAliasBombIsRefusedWhereverYAMLIsRead() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let body = Array(Self.aliasBomb.utf8)
        #expect(body.count < 500)
        let yaml = ["Host: 127.0.0.1", "Content-Type: application/yaml"]
        try await withDeadline(seconds: 20, "the bomb through every YAML route") {
            let planted = await server.raw(RawHTTP.request("PUT", "/api/v1/templates/bomb", headers: yaml, body: body))
            #expect(planted.status == 201 && planted.text.contains("expands to far more"), "\(planted.status) \(planted.text.prefix(300))")
            for _ in 0..<5 {
                let read = await server.raw(RawHTTP.request("GET", "/api/v1/templates/bomb"))
                #expect(read.status == 200 && read.text.contains("\"template\":null"), "\(read.status) \(read.text.prefix(300))")
            }
            let validated = await server.raw(RawHTTP.request("POST", "/api/v1/validate", headers: yaml, body: body))
            #expect(validated.status == 200 && validated.text.contains("\"line\":1"), "located: \(validated.text.prefix(300))")
            #expect(await server.raw(RawHTTP.request("GET", "/api/v1/templates")).status == 200)
            // The command line reads YAML through the same budget.
            let file = server.templates.appendingPathComponent("bomb.yaml")
            let cli = try await sceneflow(["validate", file.path])
            #expect(cli.status == 1 && (cli.stdout + cli.stderr).contains("bomb.yaml:1:"), "\(cli.stdout) \(cli.stderr)")
        }
        // SIGTERM stops the server at once, with the bomb in its folder.
        let started = ContinuousClock.now
        let outcome = await server.stop()
        #expect(outcome.termination.description.contains("0"), "\(outcome.termination)")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    /// Waits until a run's report shows it has started work (a node running or done).
    static func waitForWork(_ server: ServerProcess, _ id: String) async -> Bool {
        await waitUntil(timeout: 60, interval: 0.1) {
            let report = (try? Data(contentsOf: server.workspace.appendingPathComponent("runs/\(id)/run.json")))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            let nodes = report?["nodes"] as? [[String: Any]] ?? []
            return nodes.contains { ["running", "succeeded"].contains($0["status"] as? String) && $0["job"] != nil }
        }
    }

    @Test func sigtermWithAWatcherCancelsTheRunFirstAndEndsTheStream() async throws {
        let server = try await ServerProcess.start()
        try await Self.storeTestimonialProduct(server)
        let started = try await server.json("POST", "/api/v1/runs", ["template": "testimonial", "product_id": "grinder"])
        let id = try #require(started.object["id"] as? String, "\(started.text)")
        let watcher = Task { try await server.events(id).map { ["event": $0.event["event"] as? String ?? "", "status": $0.event["status"] as? String ?? ""] } }
        #expect(await Self.waitForWork(server, id))
        let signalled = ContinuousClock.now
        server.process.send(SIGTERM)
        let outcome = await server.process.exit()
        let took = ContinuousClock.now - signalled
        #expect(took < .seconds(8), "the server stopped in \(took)")
        #expect(outcome.termination.description.contains("0"), "\(outcome.termination)")
        let events = try await watcher.value
        #expect(events.last?["event"] == "run_finished", "the watcher's stream ended with the run")
        #expect(events.last?["status"] == "cancelled", "\(events.last ?? [:])")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: server.workspace.appendingPathComponent("runs/\(id)/run.json"))) as? [String: Any]
        #expect(report?["status"] as? String == "cancelled")
        try? FileManager.default.removeItem(at: server.folder)
    }

    @Test func aRunLeftByAKilledServerIsInterruptedEverywhereAfterARestart() async throws {
        let first = try await ServerProcess.start()
        try await Self.storeTestimonialProduct(first)
        let started = try await first.json("POST", "/api/v1/runs", ["template": "testimonial", "product_id": "grinder"])
        let id = try #require(started.object["id"] as? String, "\(started.text)")
        #expect(await Self.waitForWork(first, id))
        await first.crash()

        let second = try await ServerProcess.start(reusing: first.folder)
        defer { Task { _ = await second.stop() } }
        let report = try await second.request("GET", "/api/v1/runs/\(id)")
        #expect(report.object["status"] as? String == "interrupted", "\(report.text.prefix(300))")
        #expect((report.object["stop_reason"] as? String)?.contains("interrupted") == true)
        let nodes = report.object["nodes"] as? [[String: Any]] ?? []
        #expect(!nodes.contains { ["running", "pending"].contains($0["status"] as? String) }, "no node is left running")
        let history = try await second.request("GET", "/api/v1/runs").json as? [[String: Any]] ?? []
        #expect(history.first { $0["run_id"] as? String == id }?["status"] as? String == "interrupted")
        let events = try await second.events(id)
        #expect(events.last?.event["event"] as? String == "run_finished" && events.last?.event["status"] as? String == "interrupted", "\(events)")
        let onDisk = try JSONSerialization.jsonObject(with: Data(contentsOf: second.workspace.appendingPathComponent("runs/\(id)/run.json"))) as? [String: Any]
        #expect(onDisk?["status"] as? String == "interrupted")
        #expect(try await second.request("POST", "/api/v1/runs/\(id)/cancel").status == 409)
        // The command line says the same.
        let cli = try await sceneflow(["runs", "list", "--format", "json", "--workspace", second.workspace.path])
        #expect(cli.stdout.contains("\"interrupted\""), "\(cli.stdout.prefix(400))")
    }

    @Test func aStoredAssetRemovedDuringARunDoesNotChangeIt() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        try await Self.storeTestimonialProduct(server)
        let started = try await server.json("POST", "/api/v1/runs", ["template": "testimonial", "product_id": "grinder"])
        let id = try #require(started.object["id"] as? String, "\(started.text)")
        #expect(await Self.waitForWork(server, id))
        #expect(try await server.request("DELETE", "/api/v1/products/grinder/assets/product_1").status == 200)
        let digest = try await run("sha256sum", [Self.product.path]).stdout.prefix(64)
        let stored = try FileManager.default.subpathsOfDirectory(atPath: server.workspace.appendingPathComponent("assets").path).filter { $0.contains(digest) }
        #expect(stored.isEmpty, "the stored file is gone: \(stored)")
        let events = try await server.events(id)
        #expect(events.last?.event["status"] as? String == "succeeded", "\(events.last?.event ?? [:])")
        let report = try await server.request("GET", "/api/v1/runs/\(id)")
        let product = (report.object["nodes"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "asset:product_1" }
        #expect(product?["sha256"] as? String == String(digest), "the run used the file it pinned")
    }

    /// Two command-line runs into one `--out` folder: the second replaces the first's report
    /// there. The server never answers the second's report as the first's, even after it kept the
    /// first's answer (the kept answer is dropped when its `run.json` changes).
    @Test func aReportReplacedByALaterRunInItsFolderIsNotServedAsTheEarlierRuns() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let out = server.folder.appendingPathComponent("shared-out")
        var ids: [String] = []
        for round in 0..<2 {
            let made = try await sceneflow(["run", server.templates.appendingPathComponent("unboxing.json").path, "hook.first_frame", "--offline",
                                            "--asset", "product_1=\(server.templates.path)/products/grinder/product.png",
                                            "--out", out.path, "--workspace", server.workspace.path])
            #expect(made.status == 0, "\(made.stderr.suffix(600))")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as? [String: Any]
            ids.append(try #require(report?["run_id"] as? String))
            let answered = try await server.request("GET", "/api/v1/runs/\(ids[round])")
            #expect(answered.status == 200 && answered.object["run_id"] as? String == ids[round], "\(answered.text.prefix(300))")
        }
        let first = try await server.request("GET", "/api/v1/runs/\(ids[0])")
        #expect(first.status == 404 && first.text.contains(ids[1]), "\(first.status) \(first.text.prefix(300))")
        let second = try await server.request("GET", "/api/v1/runs/\(ids[1])")
        #expect(second.object["run_id"] as? String == ids[1])
    }

    /// Fills the disk under `folder` with one file until it is full; returns it (remove it to free the disk).
    static func fill(_ folder: URL) -> URL {
        let filler = folder.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: filler.path) else { return filler }
        let block = Data(count: 64 << 10)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()
        return filler
    }

    @Test func aFullDiskRefusesARunWith507AndAFailureToRecordIsReportedEverywhere() async throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = folder.appendingPathComponent("ws")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        guard getuid() == 0, try await run("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", workspace.path]).status == 0 else {
            print("skipped: mounting a small tmpfs needs root")
            return
        }
        defer { Task { _ = try? await run("umount", ["-l", workspace.path]) } }
        let templates = folder.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        for item in ["unboxing.json", "testimonial.yaml", "assets"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/\(item)"), to: templates.appendingPathComponent(item))
        }
        var server = try await ServerProcess.start(reusing: folder)
        try await Self.storeTestimonialProduct(server)

        // Full before the run: refused, 507, and no run exists (not now, not after a restart).
        var filler = Self.fill(workspace)
        let refused = try await server.json("POST", "/api/v1/runs", ["template": "unboxing", "product_id": "grinder"])
        #expect(refused.status == 507 && refused.errorCode == "insufficient_storage", "\(refused.status) \(refused.text.prefix(300))")
        #expect((try await server.request("GET", "/api/v1/runs").json as? [Any])?.isEmpty == true, "no run in the history")
        try FileManager.default.removeItem(at: filler)
        await server.crash()
        server = try await ServerProcess.start(reusing: folder)
        #expect((try await server.request("GET", "/api/v1/runs").json as? [Any])?.isEmpty == true, "none after a restart either")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: workspace.appendingPathComponent("runs").path)) ?? []
        #expect(folders.isEmpty, "no run folder was left: \(folders)")

        // Full during the run: whatever the run ends as, the events, the report and (once
        // the disk is freed) the history all say the same.
        let started = try await server.json("POST", "/api/v1/runs", ["template": "testimonial", "product_id": "grinder"])
        let id = try #require(started.object["id"] as? String, "\(started.text)")
        #expect(await Self.waitForWork(server, id))
        filler = Self.fill(workspace)
        let events = try await server.events(id)
        let final = try #require(events.last?.event["status"] as? String)
        #expect(final == "failed" || final == "partial", "a full disk fails the run: \(final)")
        let report = try await server.request("GET", "/api/v1/runs/\(id)")
        #expect(report.object["status"] as? String == final, "the API says what the events said: \(report.text.prefix(200))")
        try FileManager.default.removeItem(at: filler)
        let caughtUp = await waitUntil(timeout: 15, interval: 0.5) {
            let onDisk = (try? Data(contentsOf: workspace.appendingPathComponent("runs/\(id)/run.json")))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return onDisk?["status"] as? String == final
        }
        #expect(caughtUp, "run.json says \(final) once the disk has room")
        let history = try await server.request("GET", "/api/v1/runs").json as? [[String: Any]] ?? []
        #expect(history.first { $0["run_id"] as? String == id }?["status"] as? String == final)
        _ = await server.stop()
    }

    @Test func weakTokensAreRefusedAtStart() async throws {
        for token in [" ", "x", "short-token", String(repeating: "a", count: 15), "sixteen chars ok"] {
            let result = try await sceneflow(["serve", ".", "--host", "0.0.0.0", "--port", "1"], environment: ["SCENEFLOW_TOKEN": token])
            #expect(result.status == 64, "\"\(token)\": \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("openssl rand"), "says how to make one: \(result.stderr)")
            #expect(!result.stderr.contains(token) || token.count < 2, "the token is not echoed")
        }
    }

    @Test func everyResponseIsHardenedAndNamesNoServerPath() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        // An image with an archive appended is stored without it.
        let png = try Data(contentsOf: Self.product)
        let polyglot = server.folder.appendingPathComponent("polyglot.png")
        try (png + Data("PK\u{3}\u{4}<html><script>alert(1)</script>".utf8)).write(to: polyglot)
        let uploaded = try await server.upload("grinder", "product_1", [polyglot])
        #expect(uploaded.status == 201, "\(uploaded.text)")
        let sha = try #require((uploaded.json as? [[String: Any]])?.first?["sha256"] as? String)
        let expected = try await run("sha256sum", [Self.product.path]).stdout.prefix(64)
        #expect(sha == String(expected), "stored without the trailing bytes")
        let started = try await server.json("POST", "/api/v1/runs", ["template": "unboxing", "product_id": "grinder"])
        let id = try #require(started.object["id"] as? String)
        let events = try await server.events(id)
        #expect(events.last?.event["status"] as? String == "succeeded")

        let paths = ["/", "/runs", "/openapi.json", "/api/v1/health", "/api/v1/templates", "/api/v1/templates/unboxing", "/api/v1/products",
                     "/api/v1/products/grinder/assets", "/api/v1/runs", "/api/v1/runs/\(id)", "/api/v1/runs/\(id)/graph.svg",
                     "/api/v1/runs/\(id)/files/run.json", "/api/v1/runs/\(id)/files/final.mp4", "/api/v1/runs/\(id)/files/captions.srt",
                     "/api/v1/templates/nothing", "/api/v1/runs/nothing", "/nothing", "/api/v1/runs/\(id)/files/..%2Fx",
                     "/api/v1/products/grinder/assets/product_1/files/\(sha)"]
        let own = server.folder.path
        for path in paths {
            let reply = try await server.request("GET", path)
            #expect(reply.headers["x-content-type-options"] == "nosniff", "\(path)")
            #expect(reply.headers["content-security-policy"]?.contains("default-src") == true, "\(path)")
            let type = reply.headers["content-type"] ?? ""
            if !type.hasPrefix("video/") && !type.hasPrefix("image/png") {
                #expect(!reply.text.contains(own), "\(path) names a server path: \(reply.text.prefix(300))")
            }
        }
        let report = try await server.request("GET", "/api/v1/runs/\(id)/files/run.json")
        #expect(report.headers["content-disposition"]?.hasPrefix("attachment") == true, "\(report.headers)")
        let video = try await server.request("GET", "/api/v1/runs/\(id)/files/final.mp4", ["-H", "Range: bytes=0-9"])
        #expect(video.headers["content-disposition"] == nil, "media plays in place")
        for (_, event) in events {
            let line = String(decoding: try JSONSerialization.data(withJSONObject: event), as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
            #expect(!line.contains(own), "an event names a server path: \(line.prefix(300))")
        }
    }
}
