import Foundation
@testable import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowProcess
@testable import SceneFlowTeam
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// `sceneflow serve` in team mode, a real server process: its API and pages show the team's
/// products and history, added and made by other processes on other "hosts".
@Suite(.tags(.endToEnd), .timeLimit(.minutes(3))) struct TeamServerTests {
    @Test func theServerShowsTheTeamsProductsAndRuns() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let location = services.freshLocation()
        let environment = services.environment(database: database, objects: "s3://\(location.bucket)/\(location.prefix)")
        let cli = try temporaryDirectory()
        #expect(try await sceneflow(["assets", "add", "--product", "grinder", "product_1", productImage.path, "--workspace", cli.appendingPathComponent("ws").path],
                                    in: cli, environment: environment).status == 0)
        let made = try await sceneflow(["run", packageRoot.appendingPathComponent("samples/unboxing.json").path, "--product", "grinder", "--simulate", "1000",
                                        "--workspace", cli.appendingPathComponent("ws").path], in: cli, environment: environment)
        #expect(made.status == 0, "\(made.stderr)")

        let serverFolder = try temporaryDirectory()
        let port = try unusedPort()
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let server = try ChildProcess.launch(Command(sceneflowBinary, arguments: ["serve", packageRoot.appendingPathComponent("samples").path, "--port", "\(port)",
                                                                                  "--workspace", serverFolder.appendingPathComponent("ws").path],
                                                     environment: env, workingDirectory: serverFolder, stdout: .discard, stderr: .capture(limit: 4 << 20, keep: .tail)))
        defer { server.terminate() }
        #expect(await waitUntil(timeout: 60) { isListening(port: port) })
        func get(_ path: String) throws -> HTTPResponse { try HTTPClient.perform(HTTPRequest(.get, "http://127.0.0.1:\(port)\(path)")) }

        let products = try get("/api/v1/products")
        #expect(products.status == 200 && String(decoding: products.body, as: UTF8.self).contains("\"grinder\""), "\(String(decoding: products.body, as: UTF8.self))")
        let runs = try get("/api/v1/runs")
        let text = String(decoding: runs.body, as: UTF8.self)
        #expect(runs.status == 200 && text.contains("unboxing") && text.contains("succeeded"), "\(text)")
        // A run made on another host: its folder is not here, its report is in the history.
        let runID = try #require(try FileManager.default.contentsOfDirectory(atPath: cli.appendingPathComponent("ws/runs").path).first)
        try FileManager.default.removeItem(at: cli.appendingPathComponent("ws/runs"))
        let one = try get("/api/v1/runs/\(runID)")
        #expect(one.status == 200)
        let report = try #require(try JSONSerialization.jsonObject(with: one.body) as? [String: Any])
        #expect(report["status"] as? String == "succeeded" && report["run_id"] as? String == runID)
        // A history row another host wrote, naming a folder that happens to exist here: its
        // files are not served from this host's disk.
        let planted = try temporaryDirectory()
        try Data("private".utf8).write(to: planted.appendingPathComponent("id_rsa"))
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        try pool.query("""
            INSERT INTO sceneflow_runs (run_id, template_id, template_sha256, status, started_at, folder, counts, host)
            VALUES ('20990101-000000-deadbeef', 't', 'ab', 'succeeded', now(), $1, '{}', 'laptop')
            """, [.init(string: planted.path)])
        let leaked = try get("/api/v1/runs/20990101-000000-deadbeef/files/id_rsa")
        #expect(leaked.status == 404, "a file of another host's run folder path was served")
        let assets = try get("/api/v1/products/grinder/assets")
        #expect(assets.status == 200 && String(decoding: assets.body, as: UTF8.self).contains("product.png"))
        #expect(try get("/products/grinder").status == 200)
        server.terminate()
        let logged = String(decoding: await server.exit().stderr, as: UTF8.self)
        #expect(logged.contains("/api/v1/products/grinder/assets"), "the server logged its requests")
        #expect(!logged.contains(services.databasePassword) && !logged.contains(services.secretAccessKey), "the log keeps secrets out")
    }

    /// In team mode `POST /runs` queues: a worker on another host hydrates the run and the
    /// server's event stream follows it to its end from the shared history; with `--workers 1`
    /// the server's own worker slot hydrates it.
    @Test(.tags(.ffmpeg)) func theServerQueuesRunsAndFollowsAWorkerOnAnotherHost() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(2, database: database)
        #expect(try await h[1].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        for workers in [0, 1] {
            let port = try unusedPort()
            let server = try h[0].launch(["serve", packageRoot.appendingPathComponent("samples").path, "--port", "\(port)", "--workers", "\(workers)"])
            defer { server.terminate() }
            #expect(await waitUntil(timeout: 60) { isListening(port: port) })
            let base = "http://127.0.0.1:\(port)/api/v1"
            let body = Data(#"{"template": "unboxing", "product_id": "grinder", "offline": true, "regenerate": ["final.video"]}"#.utf8)
            let started = try await HTTPClient.shared.send(HTTPRequest(.post, base + "/runs", headers: [(name: "Content-Type", value: "application/json")], body: body))
            let answer = try #require(try JSONSerialization.jsonObject(with: started.body) as? [String: Any])
            #expect(started.status == 202 && answer["status"] as? String == "queued", "\(String(decoding: started.body, as: UTF8.self))")
            let id = try #require(answer["id"] as? String)
            let worker = workers == 0 ? try h[1].launch(["worker"]) : nil
            // The stream is read while the run goes on (off the test's threads): it ends at run_finished.
            var follow = HTTPRequest(.get, base + "/runs/\(id)/events")
            follow.timeout = 240
            let request = follow
            let stream = Task { try await HTTPClient.shared.send(request) }
            let events = String(decoding: try await stream.value.body, as: UTF8.self)
            let lines = events.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }
            let last = try #require(lines.last)
            #expect(last["event"] as? String == "run_finished" && last["status"] as? String == "succeeded", "\(events)")
            let report = try #require(try JSONSerialization.jsonObject(with: try await HTTPClient.shared.send(HTTPRequest(.get, base + "/runs/\(id)")).body) as? [String: Any])
            #expect(report["status"] as? String == "succeeded")
            // Every job's end was told once, with the status the report gives it.
            let ended = lines.filter { ["finished", "cached"].contains($0["event"] as? String) }.compactMap { event in
                (event["node"] as? String).map { ($0, event["status"] as? String ?? "") }
            }
            let jobs = (report["nodes"] as? [[String: Any]] ?? []).filter { $0["job"] != nil }.map { ($0["id"] as? String ?? "", $0["status"] as? String ?? "") }
            #expect(!jobs.isEmpty && Set(ended.map(\.0)).count == ended.count, "\(events)")
            #expect(Dictionary(uniqueKeysWithValues: ended) == Dictionary(uniqueKeysWithValues: jobs), "\(events)")
            let pool = try PostgresPool(url: database)
            let host = try pool.query("SELECT host FROM sceneflow_runs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess()[0].decode(String.self)
            pool.shutdown()
            #expect(host == h[workers == 0 ? 1 : 0].environment["SCENEFLOW_HOST_NAME"], "made by \(host ?? "?")")
            // The run's end reaches the history a moment before its worker counts it: asked again for a while.
            var metrics = ""
            for _ in 0..<50 {
                metrics = String(decoding: try await HTTPClient.shared.send(HTTPRequest(.get, base + "/metrics")).body, as: UTF8.self)
                if metrics.contains("sceneflow_jobs{state=\"succeeded\"} \(workers + 1)") && (workers == 0 || metrics.contains("sceneflow_runs_hydrated_total{status=\"succeeded\"} 1")) { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(metrics.contains("sceneflow_jobs{state=\"succeeded\"}") && metrics.contains("sceneflow_database_up 1"), "\(metrics)")
            #expect(metrics.contains("sceneflow_runs_hydrated_total{status=\"succeeded\"} 1") == (workers == 1), "\(metrics)")
            if let worker {
                worker.send(SIGTERM)
                #expect(await worker.exit().termination == .exited(0))
            }
            server.send(SIGTERM)
            let stopped = await server.exit()
            #expect(stopped.termination == .exited(0), "\(String(decoding: stopped.stderr, as: UTF8.self))")
        }
    }
}
