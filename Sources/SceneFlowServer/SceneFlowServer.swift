import Foundation
import Hummingbird
import Logging
import SceneFlowCore
import SceneFlowSession
import SceneFlowStore

/// `sceneflow serve`: the HTTP API of `../shared/spec/api.md` over the same libraries as the
/// command line — one validator, one session, one store. Runs execute in this process under
/// limits shared by every run in flight (as a batch's products share them).
///
/// Routes are grouped by role in the `Routes+*.swift` files; `AccessMiddleware` applies the
/// contract's access rules and `RequestLogMiddleware` logs each request and shapes errors.
public struct SceneFlowServer: Sendable {
    let options: ServerOptions
    let database: WorkspaceDatabase
    let runs: LiveRuns
    let folder: TemplateFolder
    let summaries = TemplateSummaries()
    let logger: Logger

    /// Opens the workspace (its database settled: runs a killed process left `running` are
    /// marked `cancelled`).
    public init(options: ServerOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        try options.workspace.create()
        database = try WorkspaceDatabase(workspace: options.workspace)
        _ = try database.settleAbandonedRuns()
        runs = LiveRuns(limits: options.limits)
        folder = TemplateFolder(directory: options.templates.standardizedFileURL)
    }

    /// The session every run of this server goes through.
    func session(offline: Bool) -> HydrationSession {
        HydrationSession(workspace: options.workspace, database: database, generators: GeneratorSet.make(offline: offline, simulate: nil))
    }

    /// Every route of the contract.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: AccessMiddleware(token: options.token))
        addToolRoutes(to: router)
        addTemplateRoutes(to: router)
        addProductRoutes(to: router)
        addRunRoutes(to: router)
        addTakeRoutes(to: router)
        addPageRoutes(to: router)
        return router
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, cancels the runs in flight (each
    /// is recorded `cancelled`, never left `running`) and returns. `onRunning` gets the bound
    /// port (useful with port 0).
    public func run(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.requestTimeout)))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "sceneflow"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        do {
            try await app.runService()
        } catch {
            await runs.cancelAll()
            throw error
        }
        await runs.cancelAll()
    }
}

extension Router<BasicRequestContext> {
    /// A GET route that answers HEAD too, with the same status and headers and no body
    /// (RFC 9110: a server that serves GET serves HEAD; download tools and players probe with it).
    @discardableResult
    func getAndHead(_ path: RouterPath, use handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) -> Self {
        get(path, use: handler)
        head(path) { request, context in
            var response = try await handler(request, context)
            // The length GET would send, and no body.
            let length = response.headers[.contentLength].flatMap(Int.init) ?? response.body.contentLength
            response.body = ResponseBody(contentLength: length) { writer in try await writer.finish(nil) }
            return response
        }
        return self
    }
}
