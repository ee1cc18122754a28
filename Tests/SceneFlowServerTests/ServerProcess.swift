import Foundation
import SceneFlowTestSupport
import Testing

/// `sceneflow serve` started as a user starts it, on a free loopback port, with a templates
/// folder (a copy of the samples) and a workspace of its own; spoken to with curl.
final class ServerProcess: Sendable {
    let process: ChildProcess
    let base: String
    let port: Int
    let folder: URL
    var templates: URL { folder.appendingPathComponent("templates") }
    var workspace: URL { folder.appendingPathComponent("ws") }

    /// Starts a server; with `reusing`, on the templates and workspace of an earlier one (a restart).
    static func start(host: String = "127.0.0.1", arguments: [String] = ["--offline"], environment: [String: String] = [:],
                      reusing: URL? = nil) async throws -> ServerProcess {
        let folder = try reusing ?? temporaryDirectory()
        let templates = folder.appendingPathComponent("templates")
        if reusing == nil {
            try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
            for item in ["unboxing.json", "testimonial.yaml", "product-only.json", "assets", "products"] {
                try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/\(item)"), to: templates.appendingPathComponent(item))
            }
        }
        let port = try unusedPort()
        var env = ProcessInfo.processInfo.environment
        for key in ["FAL_KEY", "GEMINI_API_KEY", "ELEVENLABS_API_KEY", "SCENEFLOW_TOKEN"] { env[key] = nil }
        env.merge(environment) { $1 }
        let process = try ChildProcess.launch(Command(sceneflowBinary, arguments: ["serve", templates.path, "--host", host, "--port", String(port),
                                                                                   "--workspace", folder.appendingPathComponent("ws").path] + arguments,
                                                      environment: env, stdout: .capture(limit: 1 << 20, keep: .head),
                                                      stderr: .capture(limit: 4 << 20, keep: .tail)))
        let server = ServerProcess(process: process, base: "http://127.0.0.1:\(port)", port: port, folder: folder)
        let ready = await waitUntil(timeout: 30, interval: 0.05) {
            guard process.isRunning else { return true }
            return isListening(port: port)
        }
        guard ready, process.isRunning else {
            let outcome = await process.exit()
            throw TestSupportError("sceneflow serve did not start (\(outcome.termination)): \(String(decoding: outcome.stderr, as: UTF8.self).suffix(2000))")
        }
        return server
    }

    private init(process: ChildProcess, base: String, port: Int, folder: URL) {
        self.process = process
        self.base = base
        self.port = port
        self.folder = folder
    }

    /// Kills the server with SIGKILL and keeps its folder (to start another on it).
    func crash() async {
        process.send(SIGKILL)
        _ = await process.exit()
    }

    /// A request written by hand (`RawHTTP`), to this server.
    func raw(_ bytes: [UInt8], timeout: Double = 10) async -> RawHTTP.Reply {
        let port = self.port
        return await Task.detached { RawHTTP.send(bytes, port: port, timeout: timeout) }.value
    }


    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    }

    /// One request with curl: `path` under the server's base, `arguments` for curl.
    func request(_ method: String = "GET", _ path: String, _ arguments: [String] = [], timeout: Double = 60) async throws -> Reply {
        let headers = folder.appendingPathComponent("headers-\(UUID().uuidString)")
        let body = folder.appendingPathComponent("body-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headers); try? FileManager.default.removeItem(at: body) }
        let result = try await run("curl", ["-s", "-S", "--path-as-is", "-X", method, "-D", headers.path, "-o", body.path, "-w", "%{http_code}",
                                            "--max-time", String(Int(timeout))] + arguments + [base + path], timeout: timeout + 10)
        var fields: [String: String] = [:]
        for line in ((try? String(contentsOf: headers, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: Int(result.stdout) ?? 0, headers: fields, body: (try? Data(contentsOf: body)) ?? Data())
    }

    func json(_ method: String, _ path: String, _ value: Any) async throws -> Reply {
        let file = folder.appendingPathComponent("request-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONSerialization.data(withJSONObject: value).write(to: file)
        return try await request(method, path, ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"])
    }

    /// Uploads files for a product's slot.
    func upload(_ product: String, _ key: String, _ files: [URL]) async throws -> Reply {
        try await request("POST", "/api/v1/products/\(product)/assets/\(key)", files.flatMap { ["-F", "file=@\($0.path)"] })
    }

    /// The server-sent events of a run, until the server ends the stream.
    func events(_ run: String, lastEventID: Int? = nil) async throws -> [(id: Int, event: [String: Any])] {
        let reply = try await request("GET", "/api/v1/runs/\(run)/events", ["-N"] + (lastEventID.map { ["-H", "Last-Event-ID: \($0)"] } ?? []), timeout: 120)
        var events: [(Int, [String: Any])] = []
        var id = 0
        for line in reply.text.split(separator: "\n") {
            if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) ?? -1 }
            if line.hasPrefix("data: "), let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any] {
                events.append((id, object))
            }
        }
        return events
    }

    func stop(_ signal: Int32 = SIGTERM) async -> ChildOutcome {
        process.send(signal)
        let outcome = await process.exit()
        try? FileManager.default.removeItem(at: folder)
        return outcome
    }
}
