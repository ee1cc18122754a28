import Foundation
import SceneFlowHTTP
import SceneFlowProcess
import SceneFlowTestSupport

/// `sceneflow-bench serve`: the release `sceneflow serve` (offline, the samples as its
/// templates) under 50 concurrent clients, through libcurl (`SceneFlowHTTP`, connections
/// reused): requests per second and p50/p99 latency of `GET /api/v1/runs/{id}` and
/// `POST /api/v1/validate` (the 3-scene sample), the server's idle RSS and threads, and a run
/// watched by 50 SSE clients while 50 others poll it.
enum ServeBenchmarks {
    static func run(binary: URL, directory: URL, clients: Int = 50, requestsPerClient: Int = 200) async throws {
        let templates = directory.appendingPathComponent("serve-templates")
        try? FileManager.default.removeItem(at: templates)
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        let samples = RunBenchmarks.packageRoot().appendingPathComponent("samples")
        for item in ["unboxing.json", "testimonial.yaml", "assets", "products"] {
            try FileManager.default.copyItem(at: samples.appendingPathComponent(item), to: templates.appendingPathComponent(item))
        }
        let port = try unusedPort()
        let base = "http://127.0.0.1:\(port)/api/v1"
        let server = try ChildProcess.launch(Command(binary, arguments: ["serve", templates.path, "--port", String(port), "--offline",
                                                                         "--workspace", directory.appendingPathComponent("serve-ws").path],
                                                     stdout: .discard, stderr: .discard))
        defer { server.terminate() }
        let client = HTTPClient()
        guard await waitUntil(timeout: 30, interval: 0.05, { isListening(port: port) }) else { throw TestSupportError("sceneflow serve did not start") }
        let idle = processStatus(server.pid)
        print(String(format: "idle: %.1f MB resident, %d threads", idle.rssMB, idle.threads))

        // Assets and one finished run to read.
        for (key, file) in [("product_1", "product.png"), ("brand_logo", "logo.png"), ("size_coin", "coin.png")] {
            _ = try await upload(client, base, key: key, file: templates.appendingPathComponent("products/grinder/\(file)"))
        }
        let first = try await startRun(client, base, template: "unboxing")
        _ = try await client.send(HTTPRequest(.get, "\(base)/runs/\(first)/events"))

        let validateBody = try Data(contentsOf: templates.appendingPathComponent("unboxing.json"))
        let cases: [(String, @Sendable () -> HTTPRequest)] = [
            ("GET /api/v1/runs/{id}", { HTTPRequest(.get, "\(base)/runs/\(first)") }),
            ("POST /api/v1/validate (3 scenes)", { HTTPRequest(.post, "\(base)/validate", headers: [("Content-Type", "application/json")], body: validateBody) }),
        ]
        print("route                               clients  requests  req/s    p50 ms  p99 ms  errors")
        for (label, make) in cases {
            let result = try await load(client, clients: clients, requests: requestsPerClient, make)
            let rate = Double(result.latencies.count) / result.seconds
            let p50 = percentile(result.latencies, 0.50) * 1000, p99 = percentile(result.latencies, 0.99) * 1000
            let columns: [String] = [pad(label, 36), pad("\(clients)", 9), pad("\(result.latencies.count)", 10),
                                     pad(String(format: "%.0f", rate), 9), pad(String(format: "%.2f", p50), 8),
                                     pad(String(format: "%.2f", p99), 8), "\(result.errors)"]
            print(columns.joined())
        }

        // A run watched by 50 SSE clients and polled by 50 others.
        let watched = try await startRun(client, base, template: "testimonial")
        let start = ContinuousClock.now
        async let watchers: [Int] = withTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    let reply = try? await client.send({ var r = HTTPRequest(.get, "\(base)/runs/\(watched)/events"); r.timeout = 300; return r }())
                    let text = reply.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
                    return text.contains("\"run_finished\"") ? text.components(separatedBy: "\ndata: ").count : -1
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let polls = try await load(client, clients: clients, requests: 1_000_000, until: {
            guard let reply = try? await client.send(HTTPRequest(.get, "\(base)/runs/\(watched)")) else { return false }
            return String(decoding: reply.body, as: UTF8.self).contains("\"status\":\"succeeded\"")
                || String(decoding: reply.body, as: UTF8.self).contains("\"status\" : \"succeeded\"")
        }) { HTTPRequest(.get, "\(base)/runs/\(watched)") }
        let events = await watchers
        let busy = processStatus(server.pid)
        print(String(format: "a 6-scene run with %d SSE watchers and %d pollers: %.1f s; every watcher got run_finished: %@ (%d events each); polls: %d, p50 %.2f ms, p99 %.2f ms; server then %.1f MB, %d threads",
                     clients, clients, seconds(ContinuousClock.now - start), events.allSatisfy { $0 > 0 } ? "yes" : "NO",
                     events.first ?? 0, polls.latencies.count, percentile(polls.latencies, 0.5) * 1000, percentile(polls.latencies, 0.99) * 1000,
                     busy.rssMB, busy.threads))
    }

    struct Load {
        var latencies: [Double]
        var seconds: Double
        var errors: Int
    }

    /// `clients` tasks, each sending `requests` requests one after another (or until `until` holds).
    static func load(_ client: HTTPClient, clients: Int, requests: Int, until: (@Sendable () async -> Bool)? = nil,
                     _ make: @escaping @Sendable () -> HTTPRequest) async throws -> Load {
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var latencies: [Double] = [], errors = 0
                    for _ in 0..<requests {
                        let t0 = ContinuousClock.now
                        do {
                            let reply = try await client.send(make())
                            if reply.status >= 400 { errors += 1 }
                        } catch { errors += 1 }
                        latencies.append(seconds(ContinuousClock.now - t0))
                        if let until, latencies.count % 10 == 0, await until() { break }
                    }
                    return (latencies, errors)
                }
            }
            return await group.reduce(into: [([Double], Int)]()) { $0.append($1) }
        }
        return Load(latencies: results.flatMap(\.0).sorted(), seconds: seconds(ContinuousClock.now - start), errors: results.map(\.1).reduce(0, +))
    }

    static func startRun(_ client: HTTPClient, _ base: String, template: String) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["template": template, "product_id": "grinder"])
        let reply = try await client.send(HTTPRequest(.post, "\(base)/runs", headers: [("Content-Type", "application/json")], body: body))
        guard reply.status == 202, let id = (try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any])?["id"] as? String else {
            throw TestSupportError("the run did not start: \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
        }
        return id
    }

    static func upload(_ client: HTTPClient, _ base: String, key: String, file: URL) async throws -> Int {
        let boundary = "sceneflow-bench-\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.lastPathComponent)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body.append(try Data(contentsOf: file))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let reply = try await client.send(HTTPRequest(.post, "\(base)/products/grinder/assets/\(key)",
                                                      headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: body))
        return reply.status
    }


    /// VmRSS and Threads from /proc.
    static func processStatus(_ pid: pid_t) -> (rssMB: Double, threads: Int) {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Double {
            text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { Double($0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") } ?? 0
        }
        return (field("VmRSS") / 1024, Int(field("Threads")))
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
