import Foundation
import SceneFlowProcess
import Synchronization

/// A loopback server speaking fal's, Gemini's, Veo's and ElevenLabs' HTTP protocols
/// (`Fixtures/fake_providers.py`, Python's standard library): a real process on a real port.
///
/// One server process (one for HTTP, one for HTTPS) serves the whole test process; each
/// `FakeProviders` value is a tenant of it with its own base URLs (`/t/<name>/fal`...), its own
/// scripted faults and its own request log, so tests in parallel never see each other's
/// requests and no test pays for starting a server.
public final class FakeProviders: Sendable {
    /// The keys the server accepts, distinctive so a leak is easy to find.
    public static let keys = ["FAL_KEY": "fal-key-7d1c9e3a5b", "GEMINI_API_KEY": "gemini-key-4f8a2c6e0d", "ELEVENLABS_API_KEY": "eleven-key-9b3e7a1f5c"]

    public let name: String
    public let server: FakeProviderServer
    private var logFile: URL { server.tenants.appendingPathComponent("\(name).jsonl") }

    /// `scenario`: `["faults": ["fal.status": [["status": 500]]], "fal_work_seconds": 0.2]`.
    /// With `tls`, the tenant lives on the HTTPS server (a self-signed certificate for
    /// 127.0.0.1 made by openssl; `certificate` is its PEM file, the CA to trust).
    public init(scenario: [String: Any] = [:], tls: Bool = false) async throws {
        server = try await FakeProviderServer.shared(tls: tls)
        name = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try JSONSerialization.data(withJSONObject: scenario).write(to: server.tenants.appendingPathComponent("\(name).json"))
    }

    public var port: Int { server.port }
    public var certificate: URL? { server.certificate }
    public var root: String { "\(server.scheme)://127.0.0.1:\(server.port)/t/\(name)" }

    /// Puts a file where this tenant's media is served: `\(root)/media/<name>`.
    public func serve(_ file: URL, as fileName: String) throws {
        let media = server.tenants.appendingPathComponent("\(name).media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: media.appendingPathComponent(fileName))
    }

    public var falURL: String { root + "/fal" }
    public var googleURL: String { root + "/google" }
    public var elevenLabsURL: String { root + "/eleven" }

    /// Base URLs and keys for a `sceneflow` child process, with quick polling.
    public var environment: [String: String] {
        var env = Self.keys
        env["SCENEFLOW_FAL_URL"] = falURL
        env["SCENEFLOW_GEMINI_URL"] = googleURL
        env["SCENEFLOW_ELEVENLABS_URL"] = elevenLabsURL
        env["SCENEFLOW_POLL_INTERVAL"] = "0.05"
        return env
    }

    /// One request the server received.
    public struct Request: Sendable {
        public var route: String
        public var method: String
        public var path: String
        /// When the server received it (seconds since 1970).
        public var time: Double = 0
        public var authorization: String?
        public var googleKey: String?
        public var elevenLabsKey: String?
        /// The JSON body with data URIs shortened, as JSON text.
        public var body: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(bodyJSON.utf8))) as? [String: Any] ?? [:] }
        let bodyJSON: String

        func timed(_ time: Double) -> Request { var copy = self; copy.time = time; return copy }

        /// Every key value this request carried, in any auth header.
        public var keysSent: [String] { [authorization?.replacingOccurrences(of: "Key ", with: ""), googleKey, elevenLabsKey].compactMap { $0 } }
    }

    public func requests() -> [Request] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
            let body = object["body"].flatMap { $0 is NSNull ? nil : $0 }
            return Request(route: object["route"] as? String ?? "", method: object["method"] as? String ?? "",
                           path: object["path"] as? String ?? "", authorization: object["authorization"] as? String,
                           googleKey: object["x-goog-api-key"] as? String, elevenLabsKey: object["xi-api-key"] as? String,
                           bodyJSON: body.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed]) }.map { String(decoding: $0, as: UTF8.self) } ?? "{}")
                .timed((object["time"] as? NSNumber)?.doubleValue ?? 0)
        }
    }

    public func requests(_ route: String) -> [Request] { requests().filter { $0.route == route } }
}

/// The fake provider server process, started once per test process (per scheme) on first use.
public final class FakeProviderServer: Sendable {
    public let port: Int
    public let folder: URL
    public let certificate: URL?
    public let process: ChildProcess
    public var scheme: String { certificate == nil ? "http" : "https" }
    var tenants: URL { folder.appendingPathComponent("tenants") }

    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fake_providers.py")

    private static let starting = Mutex<[Bool: Task<FakeProviderServer, Error>]>([:])

    /// The shared server for `tls`; started by the first caller, awaited by the others.
    public static func shared(tls: Bool) async throws -> FakeProviderServer {
        let task = starting.withLock { tasks in
            if let task = tasks[tls] { return task }
            let task = Task { try await FakeProviderServer(tls: tls) }
            tasks[tls] = task
            return task
        }
        return try await task.value
    }

    private init(tls: Bool) async throws {
        folder = try temporaryDirectory()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        var tlsArguments: [String] = []
        if tls {
            let cert = folder.appendingPathComponent("cert.pem"), key = folder.appendingPathComponent("key.pem")
            let made = try await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                                 "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", cert.path])
            guard made.status == 0 else { throw TestSupportError("openssl could not make a test certificate: \(made.stderr)") }
            certificate = cert
            tlsArguments = ["--tls", cert.path, key.path]
        } else {
            certificate = nil
        }
        guard let python = Command.find("python3") else { throw TestSupportError("python3 is not on PATH") }
        let keys = ["fal": FakeProviders.keys["FAL_KEY"]!, "gemini": FakeProviders.keys["GEMINI_API_KEY"]!,
                    "elevenlabs": FakeProviders.keys["ELEVENLABS_API_KEY"]!]
        let portFile = folder.appendingPathComponent("port")
        process = try ChildProcess.launch(Command(python, arguments: [
            Self.script.path, "--log", folder.appendingPathComponent("requests.jsonl").path,
            "--media", folder.appendingPathComponent("media").path, "--tenants", folder.appendingPathComponent("tenants").path,
            "--port-file", portFile.path,
            "--keys", String(decoding: try JSONSerialization.data(withJSONObject: keys), as: UTF8.self),
        ] + tlsArguments, stdout: .discard, stderr: .capture(limit: 64 << 10, keep: .tail)))
        let started = await waitUntil(timeout: 30, interval: 0.02) { FileManager.default.fileExists(atPath: portFile.path) }
        guard started, let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) else {
            process.terminate()
            let stderr = await process.exit().stderr
            throw TestSupportError("the fake provider server did not start: \(String(decoding: stderr, as: UTF8.self))")
        }
        self.port = port
    }
}
