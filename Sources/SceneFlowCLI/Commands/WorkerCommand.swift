import ArgumentParser
import Foundation
import Logging
import SceneFlowBasics
import SceneFlowRun
import SceneFlowServer
import SceneFlowSession
import SceneFlowTeam
import SceneFlowTemplate

/// `sceneflow worker`: hydrates the team's queued runs (`run --detach`, `batch --detach`) on
/// this host until SIGINT or SIGTERM.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Team mode: hydrate queued runs (run/batch --detach) on this host until stopped.",
        discussion: """
        Claims queued runs from the team's database and hydrates each with this host's keys and \
        tools, under the team's limits (`sceneflow limits`), its shared cache and its provider \
        request journal. A run's files go to a run folder in this host's workspace; its report \
        reaches the shared history as it goes, so `runs show|wait` and the dashboard follow it \
        from any host. A claim is a lease (SCENEFLOW_LEASE_SECONDS, default 30) renewed every few \
        seconds: if this worker dies, another takes its runs over, reusing every output already \
        made and never submitting a paid job twice. On SIGINT or SIGTERM it stops claiming, stops \
        its runs and hands them back to the queue (another worker goes on from the cache). Exit \
        status 0 when stopped by a signal, 1 when the team's database cannot be used.
        """
    )

    @Option(help: "Runs hydrated at once by this worker (each runs its jobs in parallel under the limits).")
    var concurrency: Int = 2

    @Flag(help: "Run every job on the local engine (ffmpeg, espeak-ng), whatever the run asked.")
    var offline = false

    @Option(help: "The name this worker is shown by in `sceneflow db status` (default: host:pid).")
    var name: String?

    @Option(help: "Jobs in flight at once within one run, across all providers.")
    var jobs: Int = 8

    @Option(name: .customLong("limit"), help: ArgumentHelp("This worker's own limit for a provider, e.g. fal=4 (repeatable); the team's (`sceneflow limits`) hold on top.", valueName: "provider=n"))
    var providerLimits: [String] = []

    @Option(name: .customLong("metrics-port"), help: ArgumentHelp("Serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0 picks a free port; the chosen one is printed).", valueName: "port"))
    var metricsPort: Int?

    @Option(name: .customLong("metrics-host"), help: "The address the metrics listen on.")
    var metricsHost = "127.0.0.1"

    @OptionGroup var workspaceOptions: WorkspaceOptions

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        if let metricsPort, !(0...65_535).contains(metricsPort) { throw ValidationError("--metrics-port takes 0 to 65535, got \(metricsPort)") }
        guard (1...10_000).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 10000") }
        _ = try LimitOptions.limits(concurrency: jobs, providerLimits: providerLimits)
        if let name, name.isEmpty || name.count > 200 || name.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw ValidationError("--name takes 1 to 200 printable characters")
        }
    }

    func run() async throws {
        let team = try workspaceOptions.team()
        guard team.isTeam else {
            throw CommandFailure(status: ExitStatus.usage, message: "error: a worker takes runs from a team's queue; set SCENEFLOW_DATABASE_URL and SCENEFLOW_OBJECTS (or --database and --objects)")
        }
        let metrics = TeamMetrics(lease: TeamRunner.leaseSeconds)
        let runner = try TeamRunner(workspaceOptions: workspaceOptions, limits: try LimitOptions.limits(concurrency: jobs, providerLimits: providerLimits), offline: offline,
                                    metrics: metrics, log: { printErr($0) })
        let worker = QueueWorker(pool: runner.pool, name: name ?? "\(Workspace.hostName):\(getpid())", concurrency: concurrency,
                                 lease: TeamRunner.leaseSeconds, metrics: metrics, handler: runner.hydrate)
        let exporter: MetricsExporter?
        if let metricsPort {
            let pool = runner.pool
            do {
                exporter = try await MetricsExporter.start(host: metricsHost, port: metricsPort) { await metrics.exposition(pool: pool) }
            } catch {
                throw CommandFailure.error("the metrics cannot listen on \(metricsHost):\(metricsPort): \(error)")
            }
            printOut("metrics on http://\(metricsHost.contains(":") ? "[\(metricsHost)]" : metricsHost):\(exporter!.port)/metrics")
        } else {
            exporter = nil
        }
        defer { exporter?.stop() }
        let task = Task { try await worker.run() }
        let signalled = Locked(false)
        let trap = SignalTrap { number in
            printErr("\(number == SIGINT ? "interrupted" : "stopped by signal \(number)"): handing back what is not finished")
            signalled.set(true)
            task.cancel()
        }
        defer { trap.remove() }
        printErr("worker \(worker.name) on \(Workspace.hostName): waiting for queued runs (team database \(team.database.map { "\($0)" } ?? "?"))")
        do {
            let done = try await task.value
            printErr("worker stopped: \(done) run\(done == 1 ? "" : "s") hydrated")
        } catch {
            // Stopped while it was still connecting: nothing was claimed, nothing to hand back.
            if signalled.value {
                printErr("worker stopped")
                return
            }
            throw CommandFailure.error("the worker stopped: \(Redaction.redact("\(error)"))")
        }
    }
}

/// Hydrates queued runs (`DetachedRun`) for a worker (`sceneflow worker`, the server's worker
/// slots): one claimed queue job is one run, hydrated by the same `HydrationSession` as `run`,
/// with the team's store, shared cache, limits and journal. Whatever the run writes to the
/// shared history is fenced by the job's claim: a worker whose run was taken over writes
/// nothing more of it.
struct TeamRunner: Sendable {
    let pool: PostgresPool
    let store: PostgresStore
    let session: HydrationSession
    let inputs: any BlobStore
    let limits: RunLimits
    let offline: Bool
    let metrics: TeamMetrics?
    let log: @Sendable (String) -> Void

    /// How long a claim lives without a heartbeat (`SCENEFLOW_LEASE_SECONDS`, default 30).
    static var leaseSeconds: Double {
        ProcessInfo.processInfo.environment["SCENEFLOW_LEASE_SECONDS"].flatMap(Double.init).map { min(max($0, 1), 3600) } ?? 30
    }

    init(workspaceOptions: WorkspaceOptions, limits: RunLimits, offline: Bool, metrics: TeamMetrics? = nil, log: @escaping @Sendable (String) -> Void) throws {
        self.metrics = metrics
        let team = try workspaceOptions.team()
        guard let store = try workspaceOptions.database() as? PostgresStore else {
            throw CommandFailure.error("team mode's store is not the team's database")
        }
        self.store = store
        self.pool = try team.pool()
        self.session = try workspaceOptions.session(store: store, generators: GeneratorSet.make(offline: offline, simulate: nil))
        do { self.inputs = try team.blobs("inputs", workspace: workspaceOptions.workspace, notices: log) } catch {
            throw CommandFailure.error("\(error)")
        }
        self.limits = limits
        self.offline = offline
        self.log = log
    }

    /// How many times a run goes back to the queue because no worker could take it on (a key,
    /// a tool, a store) before it fails saying why.
    static let attemptsBeforeFailing = 5

    /// Hydrates the run `job` describes; returns how it ended. Throws `CancellationError` when the
    /// worker stopped and handed the run back, `HandBack` when this host cannot take it on now
    /// (the queue offers it again a few seconds later, to any worker).
    @Sendable func hydrate(_ job: JobQueue.ClaimedJob) async throws -> String {
        let store = self.store, log = self.log
        let runID = job.runID
        // Every history write of this run from here on holds only while this claim does.
        store.fence(runID, by: job)
        defer { store.lift(runID, for: job) }
        // The run ends saying why (nothing was spent), or, when another worker (or this one
        // later) may manage, goes back to the queue with the reason in its row.
        @Sendable func unstarted(_ reason: String, transient: Bool) throws -> String {
            if transient, job.attempt < Self.attemptsBeforeFailing {
                log("[\(runID)] handed back (attempt \(job.attempt)): \(reason)")
                do {
                    _ = try store.endUnstarted(runID, status: .queued, reason: "waiting for a worker that can take it on: \(Workspace.hostName) could not (\(reason))")
                } catch {
                    log("[\(runID)] the history could not be told: \(error)")
                }
                throw HandBack(reason, delay: 5)
            }
            log("[\(runID)] not started: \(reason)")
            do {
                _ = try store.endUnstarted(runID, status: .failed, reason: "not started on \(Workspace.hostName) (attempt \(job.attempt)): \(reason)")
            } catch {
                // The row must say how the run ended before its job does: back to the queue.
                throw HandBack("the team's database: \(error)", delay: 2)
            }
            return RunReport.Status.failed.rawValue
        }
        let detached: DetachedRun
        do { detached = try DetachedRun.decode(job.payload) } catch {
            return try unstarted(ErrorText.describe(error), transient: false)
        }
        // The description names the run its job belongs to, or it is not taken: a description
        // cannot point a worker at another run's history or folders.
        guard detached.runID == runID, DetachedRun.isRunID(runID) else {
            return try unstarted("the queued run's description names run \(Slug.shown(detached.runID)), not \(Slug.shown(runID))", transient: false)
        }
        log("[\(runID)] taken on \(Workspace.hostName) (attempt \(job.attempt)), submitted by \(detached.submittedBy)")
        do {
            if try store.cancelRequested(runID) {
                _ = try store.endUnstarted(runID, status: .cancelled, reason: "cancelled before a worker started it")
                return RunReport.Status.cancelled.rawValue
            }
        } catch {
            throw HandBack("the team's database: \(error)", delay: 2)
        }
        let workspace = session.workspace
        // The template and its images, written out for this attempt; gone once it ends (the
        // run read its inputs through pinned copies).
        let materialized = workspace.root.appendingPathComponent("team/runs/\(runID).\(job.attempt)")
        defer { try? FileManager.default.removeItem(at: materialized) }
        var request: HydrationRequest
        do {
            try workspace.create()
            request = try detached.request(blobs: inputs, folder: materialized, localCopies: workspace.root.appendingPathComponent("team/inputs"))
        } catch let error as DetachError {
            return try unstarted(error.description, transient: error.transient)
        } catch {
            return try unstarted(ErrorText.describe(error), transient: true)
        }
        request.out = workspace.runsDirectory.appendingPathComponent(runID)
        request.options.limits = limits
        if offline { request.options.offline = true }
        // A run taken over or handed back keeps the takes its earlier attempts made: a
        // regenerated node made once is not made (and paid for) again.
        if job.attempt > 1, !detached.regenerate.isEmpty, let earlier = try? store.report(of: runID) {
            for node in earlier.nodes where node.job != nil && node.status == .succeeded && node.take != nil
                && detached.settings.prompts[node.id] == nil && detached.settings.seeds[node.id] == nil {
                guard let key = node.jobKey ?? node.cacheKey, let take = node.take else { continue }
                request.options.resumedTakes[node.id] = ResumedTake(jobKey: key, take: take)
            }
        }
        var session = self.session
        session.generators = GeneratorSet.make(offline: request.options.offline, simulate: nil)
        let prepared: PreparedHydration
        do {
            prepared = try await session.prepare(request)
        } catch {
            switch error {
            case .missingKeys, .missingTools, .configuration, .remoteImages, .unrecordable, .folder:
                return try unstarted(error.description, transient: true)
            default:
                return try unstarted(error.description, transient: false)
            }
        }
        do { try await session.begin(prepared) } catch {
            return try unstarted(error.description, transient: true)
        }
        // The worker stopping cancels this task: the run is handed back. A cancel asked from
        // any host (`runs cancel`) cancels the run alone: it ends `cancelled`.
        let stopping = Locked(false)
        let run = Task { [session] in
            await session.run(prepared, events: { event in
                guard case .runFinished(let end) = event else { return }
                log("[\(runID)] \(stopping.value && end.status == .cancelled ? "handed back" : end.status.rawValue): \(end.counts.summary)")
            }, ending: { report in
                // (Recorded through the store's fence: nothing is written over a run another
                // worker took over.)
                guard report.status == .cancelled, stopping.value else { return report }
                var queued = report
                queued.status = .queued
                queued.finishedAt = nil
                queued.stopReason = "handed back to the queue: the worker on \(Workspace.hostName) stopped; another worker goes on from the cache"
                return queued
            })
        }
        let watcher = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if (try? store.cancelRequested(runID)) == true {
                    log("[\(runID)] cancelled from `sceneflow runs cancel`")
                    run.cancel()
                    return
                }
            }
        }
        let result = await withTaskCancellationHandler {
            await run.value
        } onCancel: {
            stopping.set(true)
            run.cancel()
        }
        watcher.cancel()
        if stopping.value, result.report.status == .cancelled { throw CancellationError() }
        metrics?.runFinished(result.report.status.rawValue)
        return result.report.status.rawValue
    }
}
