import Foundation
import SceneFlowCore

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

    public init(templates: URL, workspace: Workspace) {
        self.templates = templates
        self.workspace = workspace
    }

    /// Whether `host` only listens on this machine.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Why the server must not start with these options, if it must not.
    public var startProblem: String? {
        if !Self.isLoopback(host), token?.isEmpty ?? true {
            return "serving on \(host) (not loopback) needs SCENEFLOW_TOKEN set: every /api/ request must then carry it as a bearer token"
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: templates.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "the templates folder \(templates.path) does not exist or is not a folder"
        }
        return nil
    }
}
