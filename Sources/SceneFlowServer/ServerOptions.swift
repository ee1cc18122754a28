import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowSession
import SceneFlowTemplate

/// How `sceneflow serve` runs (API contract, "Access").
public struct ServerOptions: Sendable {
    /// The folder whose templates the server serves and saves.
    public var templates: URL
    public var workspace: Workspace
    public var host = "127.0.0.1"
    public var port = 8080
    /// Every job on the local engine, as `run --offline`.
    public var offline = false
    /// `SCENEFLOW_TOKEN`: required to bind anywhere but loopback; then every `/api/` request needs it.
    public var token: String?
    /// Limits shared by every run of the server, as `batch` shares them.
    public var limits = RunLimits()
    /// The largest template body (`validate`, `graph`, `plan`, `PUT /templates/{id}`).
    public var maxTemplateBytes = 16 << 20
    /// How long a request may take to arrive whole before the server gives up on it (seconds).
    public var requestTimeout: Double = 60
    /// Host names a loopback server answers besides its own (`--allowed-host`); on any other
    /// address, the only names it answers when given.
    public var allowedHosts: [String] = []
    /// How long a graceful shutdown waits for requests in progress after the runs are
    /// cancelled, before connections are cut (seconds).
    public var shutdownGrace: Int64 = 5
    /// Team mode: `POST /runs` puts a checked run in the team's queue with this (a worker, in
    /// this process with `serve --workers` or on any host, hydrates it) instead of running it
    /// here; nil runs it in this process.
    public var enqueue: (@Sendable (HydrationRequest) async throws -> Void)?
    /// Team mode: the Prometheus exposition `GET /api/v1/metrics` answers (`TeamMetrics`).
    public var metrics: (@Sendable () async -> [UInt8])?
    /// The shortest `SCENEFLOW_TOKEN` accepted.
    public static let minimumTokenLength = 16

    public init(templates: URL, workspace: Workspace) {
        self.templates = templates
        self.workspace = workspace
    }

    /// Whether `host` only listens on this machine.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || (host.hasPrefix("127.") && host.split(separator: ".").count == 4)
    }

    /// Why the server must not start with these options, if it must not.
    public var startProblem: String? {
        if !Self.isLoopback(host), token?.isEmpty ?? true {
            return "serving on \(host) (not loopback) needs SCENEFLOW_TOKEN set: every /api/ request must then carry it as a bearer token"
        }
        if let token, token.trimmingCharacters(in: .whitespacesAndNewlines).count < Self.minimumTokenLength || token.contains(where: { $0.isWhitespace || $0.isNewline }) {
            return "SCENEFLOW_TOKEN is too weak: use at least \(Self.minimumTokenLength) characters without spaces, for example `export SCENEFLOW_TOKEN=$(openssl rand -hex 32)`"
        }
        for name in allowedHosts where HostPolicy.split(name.lowercased()) == nil {
            return "--allowed-host \(name.prefix(100)) is not a host name (a name or address, optionally with :port)"
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: templates.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "the templates folder \(templates.path) does not exist or is not a folder"
        }
        return nil
    }
}
