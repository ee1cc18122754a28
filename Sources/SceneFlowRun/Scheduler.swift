import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// Runs a scene graph like a build system.
///
/// The schedule (`Schedule`) decides what is ready and what may start; each ready node is
/// prepared here: an input or a reused frame ends at once, a job (`JobBuilder`) is answered
/// from the cache when its key (`CacheKey`) is there and intact, else it waits for a slot and
/// runs in a child task (`AttemptRunner`: retries inside the job's slot, so limits hold while
/// retries pile up). Everything is recorded as it happens (`RunRecorder`). A failed node's
/// descendants are `blocked` and independent work finishes; every output is in the cache as
/// its node finishes, so a killed run loses only the jobs in flight.
///
/// All mutable state lives in `run()`, owned by the one task that drives it.
public struct Scheduler: Sendable {
    public let runID: String
    public let graph: SceneGraph
    public let template: RunReport.TemplateRef
    public let inputs: InputResolver
    public let cache: OutputCache
    public let options: RunOptions
    public let folder: RunFolder?
    public let workspace: Workspace?
    public let productID: String?
    public let registry: ModelRegistry
    let generators: @Sendable (ModelInfo) -> Generator?
    let events: @Sendable (RunEvent) -> Void

    public init(runID: String = Workspace.newRunID(), graph: SceneGraph, template: RunReport.TemplateRef, inputs: InputResolver,
                cache: OutputCache, options: RunOptions, folder: RunFolder?, workspace: Workspace?, productID: String? = nil,
                registry: ModelRegistry = .standard, generators: @escaping @Sendable (ModelInfo) -> Generator?,
                events: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.runID = runID
        self.graph = graph
        self.template = template
        self.inputs = inputs
        self.cache = cache
        self.options = options
        self.folder = folder
        self.workspace = workspace
        self.productID = productID
        self.registry = registry
        self.generators = generators
        self.events = events
    }

    /// Scratch folders of this run's jobs live under here.
    public var scratchBase: URL {
        (workspace?.root ?? FileManager.default.temporaryDirectory).appendingPathComponent("tmp/\(runID)", isDirectory: true)
    }

    /// A started job's key, and its components when the run keeps an explain index.
    typealias Started = RunState.Started

    /// Runs the graph to its end on the process's run loop thread (`RunExecutor.shared`): the
    /// scheduling loop and the jobs' Swift code take turns there, so handing a job over costs no
    /// thread wake-up. Cancel the calling task to stop: jobs in flight are cancelled, the
    /// report says `cancelled`.
    public func run() async -> RunReport {
        await withTaskExecutorPreference(RunExecutor.shared) { await runOnLoop() }
    }

    private func runOnLoop() async -> RunReport {
        let count = graph.nodes.count
        var recorder = RunRecorder(runID: runID, template: template, graph: graph, folder: folder,
                                   indexDirectory: workspace?.indexDirectory.appendingPathComponent(graph.templateID))
        recorder.simulated = options.simulated
        recorder.offline = options.offline
        recorder.productID = productID
        var builder = JobBuilder(graph: graph, registry: registry, offline: options.offline, resolution: options.resolution)
        builder.finishing = options.finishing
        builder.runID = runID
        let weights = (0..<count).map { graph.estimate(of: $0, model: builder.models[$0]).seconds }
        let priority = GraphAlgorithms.criticalPath(order: graph.topologicalOrder() ?? Array(0..<count), count: count,
                                                    weight: { weights[$0] }) { graph.successors[$0] }.remaining
        let schedule = Schedule(graph: graph, priority: priority, limits: options.limits, selected: RunSelection.selected(graph, targets: options.targets))
        var forced = [Bool](repeating: false, count: count)
        for i in RunSelection.forced(graph, regenerate: options.regenerate) where options.resumedTakes[graph.nodes[i].id] == nil { forced[i] = true }
        if let folder {
            do { try folder.create() } catch { recorder.noteWriteFailure("\(error)") }
        }
        var state = RunState(graph: graph, schedule: schedule, recorder: recorder, ledger: options.ledger ?? options.budget.map { SpendLedger(limit: $0) },
                             failFast: options.failFast, events: events)
        events(.runStarted(.init(runID: runID, template: graph.templateID, productID: productID,
                                 jobs: (0..<count).filter { graph.nodes[$0].generates && state.schedule.status[$0] != .skipped }.count,
                                 simulated: options.simulated, offline: options.offline, folder: folder?.url.path)))
        let attempts = AttemptRunner(retry: options.retry, scratchFolders: options.scratchFolders, events: events)
        let scratchBase = self.scratchBase.path
        let remembers = state.recorder.remembers
        var lastWrite = ContinuousClock.now

        await withTaskGroup(of: (Int, AttemptRunner.Outcome, [AttemptRunner.Outcome]).self) { group in
            func pump() {
                let starts = state.pump(remembers: remembers) { i, files, recorder in
                    prepare(i, builder: builder, files: &files, recorder: &recorder, forced: forced[i], scratchBase: scratchBase)
                }
                for start in starts {
                    group.addTask {
                        let (outcome, variations) = await executeWithVariations(start.job, generator: start.generator, key: start.key, attempts: attempts)
                        return (start.index, outcome, variations)
                    }
                }
                if state.cancelInFlight {
                    state.cancelInFlight = false
                    group.cancelAll()
                }
            }
            pump()
            while let (i, outcome, variations) = await group.next() {
                state.complete(i, record: { started, files, recorder in
                    let status = record(i, outcome, recorder: &recorder, files: &files, started: started, model: builder.models[i])
                    recordVariations(i, variations, recorder: &recorder, model: builder.models[i])
                    return status
                }, follow: { follower, status, files, recorder in
                    follow(follower, leader: i, status: status, recorder: &recorder, files: &files)
                })
                if Task.isCancelled { state.cancel() }
                pump()
                if folder != nil, ContinuousClock.now - lastWrite >= .milliseconds(Int(options.reportInterval * 1000)) {
                    lastWrite = ContinuousClock.now
                    state.recorder.write(state.recorder.report(finished: false))
                }
            }
        }
        var report = state.finish(cancelled: Task.isCancelled)
        if options.scratchFolders { Workspace.removeScratch(self.scratchBase, workspace: workspace) }
        if let final = graph.indexByID["final.video"], state.isDone(final) {
            let files = state.files
            state.recorder.writeTimeline(finishing: options.finishing, words: builder.spokenWords(files: { files[$0] }))
            report = state.recorder.report(finished: true, cancelled: state.cancelled, failFast: options.failFast && state.stopped)
        }
        // A failure to write the report itself is reported by the second report (the run fails).
        state.recorder.write(report)
        return state.recorder.writeFailure == nil ? report : state.recorder.report(finished: true, cancelled: state.cancelled, failFast: options.failFast && state.stopped)
    }

    /// A job's provider request journal: the team's when there is one, else the workspace's file.
    func journal(for key: CacheKey) -> JobJournal {
        if let shared = options.sharedJournal { return JobJournal(backend: shared, key: key.value) }
        return JobJournal(file: workspace?.root.appendingPathComponent("journal/\(key.value).json"))
    }

    // MARK: Preparing a node

    typealias Preparation = RunState.Preparation

    /// Inputs and reused frames end here; a job is built and answered from the cache when its
    /// output is there and intact.
    private func prepare(_ i: Int, builder: JobBuilder, files: inout [[FileRef]], recorder: inout RunRecorder, forced: Bool, scratchBase: String) -> Preparation {
        let node = graph.nodes[i]
        recorder[i].startedAt = Date()
        if node.kind.isInput {
            do {
                files[i] = try inputs.files(for: node)
                recorder[i].sha256 = files[i].first?.sha256
                recorder.done(i, .succeeded, reason: "input")
                return .done(.succeeded)
            } catch {
                recorder.fail(i, message: error.description, attempts: 0, input: node.id)
                return .done(.failed)
            }
        }
        guard node.generates else {
            guard let source = graph.source(ofReuse: i) else {
                recorder.fail(i, message: "reused frame has no source", attempts: 0)
                return .done(.failed)
            }
            files[i] = files[source]
            recorder.reuse(i, of: source)
            return .done(.succeeded)
        }
        let model = builder.models[i]
        recorder[i].model = model?.id
        recorder[i].provider = model?.provider
        recorder[i].offline = options.offline
        guard let model, let generator = generators(model) else {
            recorder.fail(i, message: model == nil ? "unknown model \(node.model ?? "?")" : "no generator for provider \(model!.provider.rawValue) in this build; run with --offline", attempts: 0)
            return .done(.failed)
        }
        var job: Job
        do {
            job = try builder.job(for: i, files: { files[$0] }, scratch: URL(fileURLWithPath: scratchBase + "/" + node.id, isDirectory: true))
        } catch {
            recorder.fail(i, message: error.description, attempts: 0)
            return .done(.failed)
        }
        var (jobKey, key, repaired) = Takes.choose(&job, cache: cache, picks: options.picks, regenerate: forced)
        if let repaired { events(.warning(node: node.id, message: repaired)) }
        let variations = forced ? min(max(options.variations, 1), 8) : 1
        let edited = forced && (options.prompts[node.id] != nil || options.seeds[node.id] != nil)
        // A take made with an edited prompt or a chosen seed is never take 1 (take 1 is the job
        // as the template has it, under the job's own key).
        if edited, job.take == 1 {
            job.take = 2
            key = CacheKey(job)
        }
        if variations > 1 {
            // The other variations take the numbers before this one: the node's own take is the
            // newest, the one later runs use until another is picked.
            job.take += variations - 1
            job.variations = variations
            key = CacheKey(job)
        }
        if edited {
            // A take with an edited prompt or a chosen seed: made under its own key, indexed under the job's.
            if let prompt = options.prompts[node.id], !job.replacePrompt(prompt) {
                recorder.fail(i, message: "\(node.id) has no prompt to edit (\(job.kind.noun) takes its text from the template)", attempts: 0)
                return .done(.failed)
            }
            job.seed = options.seeds[node.id]
            job.jobKey = jobKey.value
            key = CacheKey(job)
        }
        recorder[i].seed = job.seed
        recorder[i].prompt = job.prompt.isEmpty ? nil : job.prompt
        recorder[i].cacheKey = key.value
        recorder[i].take = job.take
        recorder[i].jobKey = key == jobKey ? nil : jobKey.value
        var reason: String
        var lookup = forced ? .miss : cache.lookup(key)
        if case .hit(let stored) = lookup {
            switch recorder.adopt(i, stored) {
            case .delivered:
                files[i] = [FileRef(stored)]
                recorder[i].madeBy = stored.metadata.runID
                recorder.done(i, .cached, reason: "cached: an identical job was made \(stored.metadata.runID.map { "by run \($0)" } ?? "before") (\(stored.metadata.createdAt.formatted(.iso8601)))")
                events(.finished(node: node.id, status: .cached, seconds: 0, output: recorder[i].output))
                return .done(.cached)
            case .failed:
                return .done(.failed)
            case .damaged(let why):
                // Caught while delivering: set aside, and made again like any damaged entry.
                cache.quarantine(key, reason: why)
                lookup = .damaged(reason: why)
            }
        }
        switch lookup {
        case .hit:
            preconditionFailure("a hit was delivered or turned into damage above")
        case .damaged(let why):
            reason = "made again: \(why)"
        case .miss:
            reason = forced ? "take \(job.take), forced by --regenerate"
                    + (options.prompts[node.id] != nil ? ", with an edited prompt" : "") + (job.seed.map { ", seed \($0)" } ?? "")
                    + (variations > 1 ? " (and \(variations - 1) more variation\(variations == 2 ? "" : "s"): take\(variations == 2 ? "" : "s") \(job.take - variations + 1)\(variations == 2 ? "" : "…\(job.take - 1)"))" : "")
                : job.take > 1 ? "take \(job.take) (\(options.picks[jobKey.value] == job.take ? "picked" : "the newest")) is not in the cache"
                : recorder.explainMiss(i, key: key, job: job)
        }
        recorder[i].reason = reason
        job.journal = journal(for: key)
        return .job(job, generator, key)
    }
}

extension Scheduler {
    /// A run of a checked template with these inputs (no remote images, no replacements): for
    /// tests, benchmarks and programs that drive the scheduler without a session.
    public init(checked: CheckedTemplate, inputs: HydrationInputs, cache: OutputCache, options: RunOptions, folder: RunFolder?,
                workspace: Workspace?, runID: String = Workspace.newRunID(), generators: @escaping @Sendable (ModelInfo) -> Generator?,
                events: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.init(runID: runID, graph: checked.graph, template: checked.reference,
                  inputs: InputResolver(templateDirectory: checked.loaded.directory, assets: inputs, replacements: inputs.replacements),
                  cache: cache, options: options, folder: folder, workspace: workspace, productID: inputs.productID,
                  generators: generators, events: events)
    }
}
