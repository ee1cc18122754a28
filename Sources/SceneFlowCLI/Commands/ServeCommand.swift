import ArgumentParser
import Foundation
import Logging
import SceneFlowBasics
import SceneFlowRun
import SceneFlowServer
import SceneFlowTeam
import SceneFlowTemplate

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API: templates in DIR, the workspace's products and runs (GET /openapi.json describes it).",
        discussion: """
        Bound to loopback (the default) no token is needed, and only requests naming a loopback \
        host (localhost, 127.0.0.1, [::1]) or an --allowed-host are answered. Bound to any other \
        address the server refuses to start unless SCENEFLOW_TOKEN is set (16 characters or more); \
        every /api/ request must then carry `Authorization: Bearer <token>`. Runs execute in this process under limits shared by all \
        runs in flight; in team mode POST /runs queues the run and --workers N worker slots of this process (and any \
        host's `sceneflow worker`) hydrate the team's queue. SIGINT or SIGTERM stops accepting requests, cancels the runs in flight \
        (recorded cancelled) and exits 0. One log line per request goes to standard error.
        """
    )

    @Argument(help: "The folder of templates to serve and save.")
    var directory: String = "."

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port (0 picks a free one; the chosen port is printed).")
    var port: Int = 8080

    @Option(name: .customLong("allowed-host"), help: ArgumentHelp("A host name this server also answers to (repeatable), e.g. a name in /etc/hosts or a reverse proxy's.", valueName: "name"))
    var allowedHosts: [String] = []

    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Flag(help: "Run every job on the local engine (ffmpeg, espeak-ng): no keys, no network.")
    var offline = false

    @OptionGroup var limitOptions: LimitOptions

    @Option(help: "Team mode: runs this server hydrates at once from the team's queue (0: none; workers elsewhere do).")
    var workers: Int = 1

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port takes 0 to 65535, got \(port)") }
        guard (0...64).contains(workers) else { throw ValidationError("--workers takes 0 to 64, got \(workers)") }
    }

    func run() async throws {
        var options = ServerOptions(templates: URL(fileURLWithPath: directory).standardizedFileURL, workspace: workspaceOptions.workspace)
        options.host = host
        options.port = port
        options.offline = offline
        options.allowedHosts = allowedHosts
        options.token = ProcessInfo.processInfo.environment["SCENEFLOW_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        options.limits = try limitOptions.limits()
        if let problem = options.startProblem { throw CommandFailure.usage(problem) }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "sceneflow.serve")
        logger.logLevel = .info
        let server: SceneFlowServer
        let team = try workspaceOptions.team()
        let store = team.isTeam ? try workspaceOptions.database() : nil
        var worker: QueueWorker?
        if team.isTeam {
            // Team mode: POST /runs queues; this process's worker slots (and any host's workers) hydrate.
            let log = logger
            let submitter = try TeamSubmitter(workspaceOptions: workspaceOptions, notices: { log.warning("\($0)") })
            options.enqueue = { request in _ = try await submitter.submit([request]) }
            let metrics = TeamMetrics(lease: TeamRunner.leaseSeconds), pool = try team.pool()
            options.metrics = { await metrics.exposition(pool: pool) }
            if workers > 0 {
                let runner = try TeamRunner(workspaceOptions: workspaceOptions, limits: options.limits, offline: offline, metrics: metrics,
                                            log: { log.info("\($0)") })
                worker = QueueWorker(pool: runner.pool, name: "\(Workspace.hostName):\(getpid()) (serve)", concurrency: workers,
                                     lease: TeamRunner.leaseSeconds, metrics: metrics, handler: runner.hydrate)
            }
        }
        do {
            let log = logger
            let objects = try team.sharedObjects(workspace: options.workspace, notices: { log.warning("\($0)") })
            let pool = team.isTeam ? try team.pool() : nil
            server = try SceneFlowServer(options: options, store: store, sharedObjects: objects,
                                         teamLimits: pool.map { TeamLimiter(pool: $0) }, teamJournal: pool.map { PostgresJournal(pool: $0) }, logger: logger)
        } catch {
            throw CommandFailure.error("\(error)")
        }
        let host = self.host, folder = options.templates.path
        let slots = worker.map { worker in Task { try await worker.run() } }
        do {
            try await server.run { port in
                printOut("serving \(folder) on http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
            }
        } catch {
            slots?.cancel()
            _ = try? await slots?.value
            throw error
        }
        // Stopping: the worker slots hand back what they have not finished.
        slots?.cancel()
        _ = try? await slots?.value
    }
}
