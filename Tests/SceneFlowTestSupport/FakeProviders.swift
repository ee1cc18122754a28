import Foundation

/// A loopback server speaking fal's, Gemini's, Veo's and ElevenLabs' HTTP protocols
/// (`Fixtures/fake_providers.py`, Python's standard library), started per test as a real
/// process on a real port. Faults are scripted per route; every request it received can be
/// read back from its log.
public final class FakeProviders: @unchecked Sendable {
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fake_providers.py")

    /// The keys the server accepts, distinctive so a leak is easy to find.
    public static let keys = ["FAL_KEY": "fal-key-7d1c9e3a5b", "GEMINI_API_KEY": "gemini-key-4f8a2c6e0d", "ELEVENLABS_API_KEY": "eleven-key-9b3e7a1f5c"]

    public let port: Int
    public let folder: URL
    private let process: Process
    private var logFile: URL { folder.appendingPathComponent("requests.jsonl") }

    /// With `tls`, the server speaks HTTPS with a self-signed certificate for 127.0.0.1,
    /// made by openssl for this server; `certificate` is its PEM file (the CA to trust).
    public private(set) var certificate: URL?

    /// `scenario`: `["faults": ["fal.status": [["status": 500]]], "fal_work_seconds": 0.2]`.
    public init(scenario: [String: Any] = [:], tls: Bool = false) throws {
        folder = try temporaryDirectory()
        var tlsArguments: [String] = []
        if tls {
            let cert = folder.appendingPathComponent("cert.pem"), key = folder.appendingPathComponent("key.pem")
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                 "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", cert.path]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { throw FakeProvidersError("openssl could not make a test certificate") }
            certificate = cert
            tlsArguments = ["--tls", cert.path, key.path]
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let keys = ["fal": Self.keys["FAL_KEY"]!, "gemini": Self.keys["GEMINI_API_KEY"]!, "elevenlabs": Self.keys["ELEVENLABS_API_KEY"]!]
        process.arguments = ["python3", Self.script.path, "--log", folder.appendingPathComponent("requests.jsonl").path,
                             "--media", folder.appendingPathComponent("media").path,
                             "--scenario", String(decoding: try JSONSerialization.data(withJSONObject: scenario), as: UTF8.self),
                             "--keys", String(decoding: try JSONSerialization.data(withJSONObject: keys), as: UTF8.self)] + tlsArguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line is "PORT n".
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self).replacingOccurrences(of: "PORT ", with: "")) else {
            kill(process.processIdentifier, SIGKILL)
            throw FakeProvidersError("the fake provider server did not start (is python3 installed?)")
        }
        self.port = port
    }

    deinit { stop() }

    public func stop() {
        // SIGKILL: the test process's children may inherit an ignored or blocked SIGTERM.
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    public var root: String { "\(certificate == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// Puts a file where the server serves media: `\(root)/media/<name>`.
    public func serve(_ file: URL, as name: String) throws {
        let media = folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: media.appendingPathComponent(name))
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
        public var authorization: String?
        public var googleKey: String?
        public var elevenLabsKey: String?
        /// The JSON body with data URIs shortened, as JSON text.
        public var body: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(bodyJSON.utf8))) as? [String: Any] ?? [:] }
        let bodyJSON: String

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
        }
    }

    public func requests(_ route: String) -> [Request] { requests().filter { $0.route == route } }
}

public struct FakeProvidersError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
