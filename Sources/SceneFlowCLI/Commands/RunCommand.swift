import ArgumentParser
import Foundation
import SceneFlowCore
import SceneFlowGraphviz
import SceneFlowProviders
import SceneFlowStore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Hydrate a template: run every generation in dependency order, in parallel where the graph allows.",
        discussion: """
        Unchanged nodes come from the workspace cache and cost nothing; a failed node blocks only \
        its dependents. Writes run.json (and the run's diagram, run.svg) in the run folder and \
        prints its path. Exit status: 0 all succeeded, 1 invalid input or failed nodes, 130 interrupted.

        Remote models read their keys from FAL_KEY, GEMINI_API_KEY and ELEVENLABS_API_KEY (checked \
        before anything runs); SCENEFLOW_FAL_URL, SCENEFLOW_GEMINI_URL and SCENEFLOW_ELEVENLABS_URL \
        override the providers' base URLs, SCENEFLOW_CA_BUNDLE the trusted certificate authorities.
        """
    )

    @Argument(help: "The template file.")
    var template: String

    @OptionGroup var hydration: HydrationOptions
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Option(help: "The run folder (default: a new folder under the workspace's runs/).")
    var out: String?

    @OptionGroup var engineOptions: EngineOptions

    @Flag(help: "Stop at the first failure instead of finishing independent work.")
    var failFast = false

    @Option(help: ArgumentHelp("Make this node again even if cached, and everything after it (repeatable).", valueName: "node"))
    var regenerate: [String] = []

    @Flag(help: "Print events as NDJSON on standard output.")
    var json = false

    func run() async throws {
        let valid = try ValidTemplate.load(template)
        let inputs = try hydration.load(workspace: workspaceOptions.workspace)
        let inputDiagnostics = InputValidator().validate(inputs, InputContext(loaded: valid.loaded, template: valid.template))
        if !inputDiagnostics.isEmpty { printErr(DiagnosticReport.text(inputDiagnostics)) }
        if inputDiagnostics.hasErrors { throw ExitCode(ExitStatus.failure) }
        let graph = SceneGraph(template: valid.template)
        for id in regenerate where graph.indexByID[id] == nil {
            throw ValidationError("--regenerate: no node \"\(id)\"\(Suggestions.didYouMean(id, in: graph.nodes.map(\.id)))")
        }

        let workspace = workspaceOptions.workspace
        do { try workspace.create() } catch {
            printErr("error: cannot create the workspace at \(workspace.root.path): \(error.localizedDescription)")
            throw ExitCode(ExitStatus.failure)
        }
        let runID = Workspace.newRunID()
        let runFolder = out.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? workspace.runsDirectory.appendingPathComponent(runID)

        var options = try engineOptions.runOptions(limits: limitOptions.limits())
        options.failFast = failFast
        options.regenerate = Set(regenerate)

        let generators = engineOptions.generators()
        let progress = RunProgress(json: json, total: graph.nodes.filter(\.generates).count)
        try generators.check(graph.models(offline: options.offline).map(\.model))
        // Only once every key is known: avatars and backgrounds given as https URLs.
        options.remoteImages = try await RemoteImageInputs.fetch(valid, workspace: workspace)
        let engine = RunEngine(loaded: valid.loaded, template: valid.template, inputs: inputs, store: FileOutputStore(directory: workspace.cacheDirectory),
                               options: options, runFolder: runFolder, workspace: workspace, runID: runID,
                               generators: generators.generator(for:), events: progress.handle)

        // Ctrl-C: stop starting jobs, cancel those in flight, write run.json as cancelled.
        let task = Task { await engine.run() }
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .main)
        interrupt.setEventHandler { progress.note("interrupted: cancelling jobs in flight"); task.cancel() }
        interrupt.resume()
        let report = await task.value
        interrupt.cancel()
        progress.end()
        do { try WorkspaceDatabase(workspace: workspace).record(report, folder: runFolder) } catch {
            printErr("warning: the run was not added to the history: \(error)")
        }

        // The run's diagram beside run.json.
        let diagram = DiagramBuilder(graph: graph, template: valid.template,
                                     options: DiagramBuilder.Options(run: RunStatuses(report: report, folder: runFolder), graph: graph)).build()
        if let svg = try? await GraphvizRenderer.shared.render(diagram, format: .svg) {
            try? AtomicFile.write(svg, to: runFolder.appendingPathComponent("run.svg"))
        }

        let counts = report.counts()
        let summary = NodeStatus.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
        printErr("run \(report.status.rawValue): \(summary)")
        for node in report.nodes where node.status == .failed {
            printErr("  failed \(node.id) after \(node.attempts) attempt\(node.attempts == 1 ? "" : "s"): \(node.error ?? "")")
        }
        if let final = report.finalVideo { printErr("final video: \(runFolder.appendingPathComponent(final).path)") }
        printErr("diagram: \(runFolder.appendingPathComponent("run.svg").path)")
        printOut(runFolder.appendingPathComponent("run.json").path)
        switch report.status {
        case .succeeded: return
        case .cancelled: throw ExitCode(130)
        default: throw ExitCode(ExitStatus.failure)
        }
    }
}

/// How jobs run, shared by `run` and `batch`.
struct EngineOptions: ParsableArguments {
    @Option(help: "Retries of a transient failure (timeouts, 429, 5xx), with capped exponential backoff.")
    var retries: Int = 3

    @Flag(help: "Run every job on the local engine (ffmpeg, espeak-ng): no keys, no network.")
    var offline = false

    @Option(help: "Short side of local-engine frames and clips, in pixels.")
    var resolution: Int = 720

    @Option(help: ArgumentHelp("Rehearse the schedule: each job sleeps its estimated time ÷ SPEED and writes a .sim placeholder.", valueName: "speed"))
    var simulate: Double?

    func validate() throws {
        guard retries >= 0 else { throw ValidationError("--retries cannot be negative") }
        guard (64...4096).contains(resolution) else { throw ValidationError("--resolution must be between 64 and 4096") }
        if let simulate, simulate <= 0 { throw ValidationError("--simulate takes a speed above 0") }
    }

    func runOptions(limits: RunLimits) -> RunOptions {
        var options = RunOptions()
        options.limits = limits
        options.retry = RetryPolicy(retries: retries)
        options.offline = offline
        options.parameters = ["resolution": String(resolution)]
        return options
    }

    func generators() -> GeneratorSet { GeneratorSet.make(offline: offline, simulate: simulate) }
}

/// Which generator runs which model.
struct GeneratorSet: Sendable {
    var local: Generator?
    var simulated: Generator?
    var remote: [Provider: Generator] = [:]
    /// A provider base URL that cannot work (reported by `check`).
    var configurationError: String?

    static func make(offline: Bool, simulate: Double?, environment: [String: String] = ProcessInfo.processInfo.environment) -> GeneratorSet {
        if let simulate { return GeneratorSet(local: nil, simulated: SimulatedGenerator(speed: simulate)) }
        let local = LocalEngine(environment: environment)
        var set = GeneratorSet(local: local, simulated: nil)
        guard !offline else { return set }
        do {
            set.remote = try RemoteProviders(environment: environment, finisher: local).generators
        } catch {
            set.configurationError = "\(error)"
        }
        return set
    }

    func generator(for model: ModelInfo) -> Generator? {
        if let simulated { return simulated }
        return model.provider == .local ? local : remote[model.provider]
    }

    /// Before anything runs: every key the jobs need, the local tools, and a generator for
    /// every job. Ends the command with a clear error otherwise.
    func check(_ models: [ModelInfo]) throws {
        if simulated == nil {
            let missing = Provider.missingKeys(for: models)
            if !missing.isEmpty {
                printErr("error: \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not set; this run's models need \(missing.count == 1 ? "it" : "them"). Set \(missing.count == 1 ? "it" : "them") in the environment, or run with --offline.")
                throw ExitCode(ExitStatus.failure)
            }
        }
        if let configurationError {
            printErr("error: \(configurationError)")
            throw ExitCode(ExitStatus.failure)
        }
        try preflight(models)
        let unavailable = Set(models.filter { generator(for: $0) == nil }.map { $0.provider.rawValue })
        if !unavailable.isEmpty {
            printErr("error: this build has no generator for \(unavailable.sorted().joined(separator: ", ")); run with --offline to use the local engine")
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// Checks the tools the chosen generators need, before anything runs: the local engine's,
    /// which also conforms remote clips and makes the final cut.
    func preflight(_ models: [ModelInfo]) throws {
        guard simulated == nil, models.contains(where: { $0.provider == .local || $0.kinds.contains(.video) }) else { return }
        do { try LocalEngineLoader.preflight() } catch {
            printErr("error: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}
