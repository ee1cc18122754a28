import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowSession
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate
import Synchronization

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Hydrate a template: run every generation in dependency order, in parallel where the graph allows.",
        discussion: """
        TARGETS narrow the run to what they need: a node id (hook.first_frame), a scene id (hook: \
        all its nodes) or a stage (frames, audio, clips, final); everything else is skipped. \
        `sceneflow run T frames` makes every frame for review before paying for clips. \
        Unchanged nodes come from the workspace cache and cost nothing; a failed node blocks only \
        its dependents. Writes run.json, run.svg and timeline.json in the run folder and prints \
        run.json's path (with --json, standard output is NDJSON events only). Exit status: 0 all \
        succeeded, 1 invalid input or failed nodes, 130 interrupted (Ctrl-C; 143 SIGTERM, 129 SIGHUP).

        Remote models read their keys from FAL_KEY, GEMINI_API_KEY and ELEVENLABS_API_KEY (checked \
        before anything runs); SCENEFLOW_FAL_URL, SCENEFLOW_GEMINI_URL and SCENEFLOW_ELEVENLABS_URL \
        override the providers' base URLs, SCENEFLOW_CA_BUNDLE the trusted certificate authorities.
        """
    )

    @Argument(help: "The template file.")
    var template: String

    @Argument(help: ArgumentHelp("Run only these and what they need: node ids, scene ids, or stages (frames, audio, clips, final).", valueName: "target"))
    var targets: [String] = []

    @OptionGroup var hydration: HydrationOptions
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Option(help: "The run folder (default: a new folder under the workspace's runs/). An existing one must be empty or hold an earlier run, whose files are replaced.")
    var out: String?

    @OptionGroup var execution: ExecutionOptions

    func run() async throws {
        let checked = try ValidTemplate.load(template)
        let workspace = workspaceOptions.workspace
        let inputs = try hydration.load(workspace: workspaceOptions)
        var request = HydrationRequest(template: checked, inputs: inputs)
        request.targets = targets
        request.out = out.map { URL(fileURLWithPath: $0) }
        try execution.configure(&request, limits: limitOptions.limits())
        if execution.detach {
            guard out == nil else { throw CommandFailure(status: ExitStatus.usage, message: "error: --out names a folder on this host; a detached run's folder is on the worker's host (leave --out out)") }
            return try await Detach.submit([request], workspaceOptions: workspaceOptions)
        }
        let progress = RunProgress(json: execution.json)
        let session = try workspaceOptions.session(store: try workspaceOptions.database(), generators: execution.generators())
        let result = try await Hydration.run(request, session: session, options: execution, progress: progress)
        try Hydration.conclude([result], progress: progress)
    }
}

/// How jobs run, shared by `run` and `batch`.
/// `--captions` (cli.md): `none`, `srt` (files beside the cut: the default) or `burn`. `files`,
/// its name in 0.2.0, is still read as `srt`.
enum CaptionsChoice: String, ExpressibleByArgument, CaseIterable {
    case none, srt, burn

    init?(argument: String) {
        if argument == "files" { self = .srt } else if let choice = Self(rawValue: argument) { self = choice } else { return nil }
    }
}

struct ExecutionOptions: ParsableArguments {
    @Option(help: "Retries of a transient failure (timeouts, 429, 5xx), with capped exponential backoff.")
    var retries: Int = 3

    @Flag(help: "Run every job on the local engine (ffmpeg, espeak-ng): no keys, no network.")
    var offline = false

    @Option(help: "Short side of local-engine frames and clips (and of conformed provider clips), in pixels.")
    var resolution: Int = 720

    @Option(help: ArgumentHelp("Rehearse the schedule: each job sleeps its estimated time ÷ SPEED and writes a .sim placeholder (kept apart from the real cache).", valueName: "speed"))
    var simulate: Double?

    @Flag(help: "Stop at the first failure instead of finishing independent work.")
    var failFast = false

    @Option(help: ArgumentHelp("Make a new take of this node even if cached (earlier takes are kept: `sceneflow takes`); what depends on it follows. A scene id makes new takes of all its nodes (repeatable).", valueName: "node"))
    var regenerate: [String] = []

    @Option(help: ArgumentHelp("The prompt of a regenerated frame's or clip's new take (repeatable).", valueName: "node=text"))
    var prompt: [String] = []

    @Option(help: ArgumentHelp("The seed of a regenerated node's new take, for models that take one (repeatable).", valueName: "node=n"))
    var seed: [String] = []

    @Option(help: ArgumentHelp("Takes of each regenerated node to make in this run, 1 to 8: the run uses the first, the others wait in `sceneflow takes` to be compared and picked.", valueName: "n"))
    var variations: Int = 1

    // Unconditional: `--max-cost -1` is a (refused) value, not a flag named -1.
    @Option(name: .customLong("max-cost"), parsing: .unconditional, help: ArgumentHelp("Refuse to start if the estimate of what will run is above this many US dollars; stop starting jobs when spend reaches it.", valueName: "usd"))
    var maxCost: String?

    @Flag(help: "Print events as NDJSON on standard output (one JSON object a line, run_started first, run_finished last).")
    var json = false

    @Option(help: ArgumentHelp("Captions of the dialogue: none, srt (captions.srt and captions.vtt beside the cut, markers in final.otio) or burn (also drawn into the picture).", valueName: "none|srt|burn"))
    var captions: CaptionsChoice = .srt

    @Option(help: ArgumentHelp("A music bed under the whole cut: looped or cut to its length, faded, ducked under speech; the mix is normalised to -14 LUFS.", valueName: "file"))
    var music: String?

    @Flag(help: "Team mode: check, put the run in the team's queue and print its id; a `sceneflow worker` on any host hydrates it (follow with `sceneflow runs wait ID`).")
    var detach = false

    func validate() throws {
        guard retries >= 0, retries <= 100 else { throw ValidationError("--retries must be between 0 and 100") }
        guard (64...4096).contains(resolution) else { throw ValidationError("--resolution must be between 64 and 4096") }
        if let simulate, !(simulate > 0 && simulate.isFinite) { throw ValidationError("--simulate takes a speed above 0") }
        guard (1...8).contains(variations) else { throw ValidationError("--variations takes 1 to 8") }
        for pair in prompt + seed where !pair.contains("=") { throw ValidationError("--prompt and --seed take node=value, not \"\(Slug.shown(pair))\"") }
        for pair in seed where Int(pair.split(separator: "=", maxSplits: 1).last ?? "").map({ $0 >= 0 }) != true {
            throw ValidationError("--seed takes node=n with n a whole number, 0 or more; got \"\(Slug.shown(pair))\"")
        }
        if detach, simulate != nil { throw ValidationError("--simulate rehearses on this host; it cannot be --detach'ed") }
        if let maxCost, Money(parsing: maxCost) == nil { throw ValidationError("--max-cost takes an amount of US dollars, 0 or more, like 5 or 12.50; got \"\(Slug.shown(maxCost))\"") }
    }

    var budget: Money? { maxCost.flatMap(Money.init(parsing:)) }

    func configure(_ request: inout HydrationRequest, limits: RunLimits) throws {
        request.options.limits = limits
        request.options.retry = RetryPolicy(retries: retries)
        request.options.offline = offline
        request.options.failFast = failFast
        request.options.resolution = resolution
        request.regenerate = regenerate
        func pairs(_ list: [String]) -> [(String, String)] {
            list.map { pair in let parts = pair.split(separator: "=", maxSplits: 1).map(String.init); return (parts[0], parts.count > 1 ? parts[1] : "") }
        }
        request.options.prompts = Dictionary(pairs(prompt), uniquingKeysWith: { $1 })
        request.options.seeds = Dictionary(pairs(seed).compactMap { node, value in Int(value).map { (node, $0) } }, uniquingKeysWith: { $1 })
        request.options.variations = variations
        request.burnCaptions = captions == .burn
        request.captionFiles = captions != .none
        request.music = music
        request.replacements = request.inputs.replacements(for: request.template.graph)
        request.simulate = simulate
        request.budget = budget
    }

    func generators() -> GeneratorSet { GeneratorSet.make(offline: offline, simulate: simulate) }
}

/// Putting runs in a team's queue (`--detach`): every check that needs neither keys nor the
/// network is made here (keys and tools are the workers'), then the runs are queued together
/// (`TeamSubmitter`). Prints the run ids, one a line.
enum Detach {
    static func submit(_ requests: [HydrationRequest], labels: [String?]? = nil, workspaceOptions: WorkspaceOptions) async throws {
        let team = try workspaceOptions.team()
        guard team.isTeam else {
            throw CommandFailure(status: ExitStatus.usage, message: "error: --detach puts runs in a team's queue; set SCENEFLOW_DATABASE_URL and SCENEFLOW_OBJECTS (or --database and --objects)")
        }
        let submitter = try TeamSubmitter(workspaceOptions: workspaceOptions)
        let session = try workspaceOptions.session(store: submitter.store, generators: GeneratorSet.make(offline: true, simulate: nil))
        for (i, request) in requests.enumerated() {
            do { _ = try await session.check(request, keys: false) } catch {
                let label = labels?[i].map { "product \"\($0)\": " } ?? ""
                throw CommandFailure(status: ExitStatus.of(error)?.0 ?? 1, message: "\(label)\(ExitStatus.of(error)?.1 ?? error.description)\nnothing was queued")
            }
        }
        let ids: [String]
        do { ids = try await submitter.submit(requests) } catch { throw CommandFailure.error("\(error)\nnothing was queued") }
        for id in ids { printOut(id) }
        printErr("queued \(ids.count) run\(ids.count == 1 ? "" : "s") for the team's workers (`sceneflow worker`); follow with `sceneflow runs wait \(ids.first ?? "")`")
    }
}

/// Puts checked runs in the team's queue: every file they read stored by content in the
/// shared bytes (`DetachedRun`), then their history rows and queue jobs in one transaction.
/// Behind `run --detach`, `batch --detach` and `serve` in team mode.
struct TeamSubmitter: Sendable {
    let store: PostgresStore
    let blobs: any BlobStore
    let workspace: Workspace

    init(workspaceOptions: WorkspaceOptions, notices: @escaping @Sendable (String) -> Void = { printErr("warning: \($0)") }) throws {
        let team = try workspaceOptions.team()
        guard let store = try workspaceOptions.database() as? PostgresStore else { throw CommandFailure.error("team mode's store is not the team's database") }
        self.store = store
        workspace = workspaceOptions.workspace
        do { blobs = try team.blobs("inputs", workspace: workspace, notices: notices) } catch { throw CommandFailure.error("\(error)") }
    }

    /// Queues `requests` (all or none); returns their run ids.
    func submit(_ requests: [HydrationRequest]) async throws -> [String] {
        try workspace.create()
        var queued: [(report: RunReport, payload: String)] = []
        for request in requests {
            let detached = try DetachedRun.pack(request, blobs: blobs, scratch: workspace.root.appendingPathComponent("team/staging"))
            queued.append((detached.queuedReport(request.template), try detached.encoded()))
        }
        try await store.patiently { try $0.enqueue(queued) }
        return queued.map(\.report.runID)
    }
}

/// Running hydrations from the command line: prepare (every check before anything is spent),
/// run under a signal trap (Ctrl-C, SIGTERM and SIGHUP cancel and record `cancelled`), report.
enum Hydration {
    struct Outcome {
        var result: HydrationResult
        var label: String?
        var signal: Int32?
    }

    static func run(_ request: HydrationRequest, session: HydrationSession, options: ExecutionOptions, progress: RunProgress) async throws -> Outcome {
        guard let database = session.store else { throw CommandFailure.error("no store") }
        database.settleAbandonedRunsOrWarn()
        let runID = request.runID
        // Signals are trapped from here on: one before the run is recorded stops the command with
        // nothing recorded; one after ends the run `cancelled`, recorded as such.
        let signals = SignalBox(progress: progress)
        defer { signals.remove() }
        let prepared = try await session.prepare(request) { progress.handle($0, runID: runID) }
        try signals.stopIfSignalled()
        try await session.begin(prepared)
        return await execute([(prepared, nil)], session: session, progress: progress, signals: signals)[0]
    }

    /// Runs prepared, recorded hydrations concurrently (one for `run`, one per product for
    /// `batch`); a signal (now, or one that came since `signals` was set up) cancels them, and each
    /// records itself `cancelled`.
    static func execute(_ runs: [(PreparedHydration, String?)], session: HydrationSession, progress: RunProgress, signals: SignalBox) async -> [Outcome] {
        progress.start()
        let signal = signals
        let task = Task {
            await withTaskGroup(of: (Int, HydrationResult).self) { group in
                for (i, (prepared, label)) in runs.enumerated() {
                    let runID = prepared.scheduler.runID
                    group.addTask { (i, await session.run(prepared) { progress.handle($0, runID: runID, label: label) }) }
                }
                var results = [HydrationResult?](repeating: nil, count: runs.count)
                for await (i, result) in group {
                    results[i] = result
                    if runs.count > 1 { progress.note("[\(runs[i].1 ?? result.report.runID)] \(result.report.status.rawValue)") }
                }
                return results.map { $0! }
            }
        }
        signals.cancelling(task)
        // Team mode: `runs cancel` on another host asks through the history; polled here.
        let ids = runs.map(\.0.scheduler.runID)
        let watcher = Task.detached {
            guard let store = session.store else { return }
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if ids.contains(where: { (try? store.cancelRequested($0)) == true }) {
                    progress.note("cancelled from another host (`sceneflow runs cancel`): cancelling the jobs in flight")
                    task.cancel()
                    return
                }
            }
        }
        let results = await task.value
        watcher.cancel()
        progress.end()
        return zip(results, runs).map { Outcome(result: $0, label: $1.1, signal: signal.value) }
    }

    /// Prints the summary (or nothing more, with `--json`) and ends with the run's exit status.
    static func conclude(_ outcomes: [Outcome], progress: RunProgress, summaries: Bool = true) throws {
        for outcome in outcomes {
            let report = outcome.result.report
            let folder = outcome.result.folder
            for warning in outcome.result.warnings { printErr("warning: \(warning)") }
            guard summaries && !progress.isJSON else { continue }
            let prefix = outcome.label.map { "[\($0)] " } ?? ""
            var summary = "\(prefix)run \(report.status.rawValue)\(report.simulated ? " (simulated)" : ""): \(report.counts.summary)"
            if report.cost > .zero || report.costEstimated { summary += " · \(report.costEstimated ? "estimated " : "")cost \(report.cost)" }
            printErr(summary)
            if let reason = report.stopReason, reason != "cancelled" { printErr("\(prefix)  stopped: \(reason)") }
            for node in report.nodes where node.status == .failed {
                printErr("\(prefix)  failed \(node.id) after \(node.attempts) attempt\(node.attempts == 1 ? "" : "s"): \(node.error ?? "")")
            }
            if let final = report.finalVideo, let file = try? folder.file(final) { printErr("\(prefix)final video: \(file.path)") }
            if let timeline = try? folder.file("timeline.json"), FileManager.default.fileExists(atPath: timeline.path) { printErr("\(prefix)timeline: \(timeline.path)") }
            if let edit = try? folder.file("final.otio"), FileManager.default.fileExists(atPath: edit.path) { printErr("\(prefix)edit (OpenTimelineIO): \(edit.path)") }
            if let captions = try? folder.file("captions.srt"), FileManager.default.fileExists(atPath: captions.path) { printErr("\(prefix)captions: \(captions.path)") }
            if let diagram = outcome.result.diagram { printErr("\(prefix)diagram: \(diagram.path)") }
            if let report = try? folder.file("run.json"), FileManager.default.fileExists(atPath: report.path) { printOut(report.path) }
        }
        if let signal = outcomes.first?.signal { throw CommandFailure(status: SignalTrap.exitStatus(for: signal), message: nil) }
        let statuses = outcomes.map(\.result.report.status)
        if statuses.contains(.cancelled) { throw CommandFailure(status: 130, message: nil) }
        if statuses.contains(where: { $0 != .succeeded }) { throw CommandFailure(status: ExitStatus.failure, message: nil) }
    }
}

/// Ctrl-C, SIGTERM and SIGHUP while a command hydrates: the first signal is kept, and the runs'
/// task (once there is one) is cancelled, at once if the signal came before it.
final class SignalBox: Sendable {
    private struct State {
        var number: Int32?
        var cancel: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())
    private let trap = Mutex<SignalTrap?>(nil)

    init(progress: RunProgress) {
        let handler: @Sendable (Int32) -> Void = { [weak self] number in
            guard let self else { return }
            let cancel = self.state.withLock { s -> (@Sendable () -> Void)? in
                if s.number == nil { s.number = number }
                return s.cancel
            }
            progress.note("\(number == SIGINT ? "interrupted" : "stopped by signal \(number)"): cancelling the jobs in flight")
            cancel?()
        }
        trap.withLock { $0 = SignalTrap(handler) }
    }

    var value: Int32? { state.withLock { $0.number } }

    /// Cancels `task` on the first signal (at once, if one came already).
    func cancelling<T>(_ task: Task<T, Never>) {
        let already = state.withLock { s -> Bool in
            s.cancel = { task.cancel() }
            return s.number != nil
        }
        if already { task.cancel() }
    }

    /// Ends the command (128 + the signal) if a signal came before anything was recorded.
    func stopIfSignalled() throws {
        if let number = value { throw CommandFailure(status: SignalTrap.exitStatus(for: number), message: "stopped before the run started; nothing was run") }
    }

    func remove() {
        trap.withLock { $0?.remove(); $0 = nil }
    }
}
