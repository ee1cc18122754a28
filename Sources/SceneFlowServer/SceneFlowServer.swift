import Foundation
import Hummingbird
import Logging
import SceneFlowBasics
import SceneFlowRun
import SceneFlowSession
import SceneFlowStore
import SceneFlowTemplate
import ServiceLifecycle
import Synchronization

/// `sceneflow serve`: the HTTP API of `docs/api.md` over the same libraries as the
/// command line — one validator, one session, one store. Runs execute in this process under
/// limits shared by every run in flight (as a batch's products share them).
///
/// Routes are grouped by role in the `Routes+*.swift` files. Every request passes `ServerGate`
/// first (canonical target, host, access rules, security headers, the log line); malformed
/// framing is answered in the contract's shape by `FramingErrors`.
public struct SceneFlowServer: Sendable {
    let options: ServerOptions
    /// Assets, history and picks: the workspace's database (team mode: the team's `Store`).
    let store: any Store
    /// Team mode: where outputs are shared with every host.
    let sharedObjects: (any BlobStore)?
    /// Team mode: providers' limits across every host.
    let teamLimits: (any SharedLimits)?
    /// Team mode: the provider request journal every host shares.
    let teamJournal: (any JournalBackend)?
    let runs: LiveRuns
    /// Reports as `GET /runs/{id}` answers them, and the folders of run ids.
    let reports = ReportCache()
    let folder: TemplateFolder
    let summaries = TemplateSummaries()
    let hosts: HostPolicy
    let logger: Logger
    /// The OpenAPI document, made from the endpoints once they exist.
    let document = DocumentBox()

    /// Opens the workspace (its database settled: runs a killed process left `running` are
    /// marked `cancelled`).
    /// `store` is the team's in team mode; else the workspace's database is opened.
    public init(options: ServerOptions, store: (any Store)? = nil, sharedObjects: (any BlobStore)? = nil, teamLimits: (any SharedLimits)? = nil,
                teamJournal: (any JournalBackend)? = nil, logger: Logger) throws {
        self.options = options
        self.teamJournal = teamJournal
        self.sharedObjects = sharedObjects
        self.teamLimits = teamLimits
        self.logger = logger
        try options.workspace.create()
        self.store = try store ?? WorkspaceDatabase(workspace: options.workspace)
        try self.store.settleAbandonedRuns()
        runs = LiveRuns(limits: options.limits)
        folder = TemplateFolder(directory: options.templates.standardizedFileURL)
        ServedPaths.configure([options.templates, options.workspace.root])
        hosts = HostPolicy(boundHost: options.host, loopback: ServerOptions.isLoopback(options.host), allowed: options.allowedHosts)
        document.set(OpenAPIDocument(endpoints, schemas: Self.schemas).json())
    }

    /// Every route the server has, each described once (`Endpoint`).
    var endpoints: [Endpoint] {
        toolEndpoints + templateEndpoints + productEndpoints + runEndpoints + takeEndpoints + pageEndpoints
    }

    /// The body types the document describes as components.
    static let schemas: [any Documented.Type] = [
        APIError.Body.self, Diagnostic.self, RunReport.self, RunRow.self, AssetRow.self, ProductRow.self, TemplateSummary.self,
        TemplateDocument.self, SavedTemplate.self, Validation.self, RunFields.self, RunStarted.self, Health.self, ImagePath.self,
        Removed.self, TakeList.self, TakePicked.self, QueueEntry.self,
    ]

    /// The session every run of this server goes through.
    func session(offline: Bool) -> HydrationSession {
        var session = HydrationSession(workspace: options.workspace, store: store, generators: GeneratorSet.make(offline: offline, simulate: nil), sharedObjects: sharedObjects)
        session.teamLimits = teamLimits
        session.teamJournal = teamJournal
        return session
    }

    /// Every route of the contract, from the endpoints.
    public func router() -> Router<BasicRequestContext> {
        let endpoints = self.endpoints
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorShapingMiddleware(logger: logger, routes: RouteTable(endpoints)))
        for endpoint in endpoints { router.add(endpoint) }
        return router
    }

    /// Every request's way in: the gate, then the router.
    func responder() -> ServerGate<RouterResponder<BasicRequestContext>> {
        ServerGate(inner: router().buildResponder(), hosts: hosts, token: options.token, routes: RouteTable(endpoints), logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then cancels the runs in flight first (each is recorded
    /// `cancelled`, never left `running`, and its event streams end), stops accepting and
    /// returns; a client that does not finish its request within `shutdownGrace` seconds is
    /// cut off. `onRunning` gets the bound port (useful with port 0).
    public func run(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let hosts = self.hosts
        let app = Application(
            responder: responder(),
            server: .http1(configuration: .init(additionalChannelHandlers: [FramingErrors()],
                                                idleTimeout: .seconds(Int64(options.requestTimeout)))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "sceneflow"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                hosts.bound(to: port)
                onRunning(port)
            },
            logger: logger
        )
        // Shut down in reverse order: the runs first (so no watcher waits on one), then the server.
        var configuration = ServiceGroupConfiguration(services: [app, RunsDrain(runs: runs)], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(options.shutdownGrace)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await runs.cancelAll()
            throw error
        }
        await runs.cancelAll()
    }
}

/// On a graceful shutdown, before the server stops accepting: cancels every run in flight and
/// waits until each has recorded itself `cancelled` (its event streams end with it), so that
/// neither a run nor a watcher holds the shutdown up.
struct RunsDrain: Service {
    let runs: LiveRuns

    func run() async throws {
        try? await gracefulShutdown()
        await runs.cancelAll()
    }
}

/// The document's bytes, set once the server's endpoints exist (its own route serves it).
final class DocumentBox: Sendable {
    private let data = Mutex(Data())
    func set(_ value: Data) { data.withLock { $0 = value } }
    var value: Data { data.withLock { $0 } }
}
