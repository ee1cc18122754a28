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
public struct RunEngine: Sendable {
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

    /// What a child task hands back.
    typealias Pending = (job: Job, generator: Generator, key: CacheKey)
    /// A started job's key, and its components when the run keeps an explain index.
    typealias Started = (key: CacheKey, components: [String: String]?)

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
        var schedule = Schedule(graph: graph, priority: priority, limits: options.limits, selected: RunSelection.selected(graph, targets: options.targets))
        for i in 0..<count where schedule.status[i] == .skipped { recorder.skip(i, reason: RunRecorder.notATarget) }
        var forced = [Bool](repeating: false, count: count)
        for i in RunSelection.forced(graph, regenerate: options.regenerate) { forced[i] = true }
        var files = [[FileRef]](repeating: [], count: count)
        // Per node, by index (no hashing on the scheduler's path).
        var pending = [Pending?](repeating: nil, count: count)
        var keys = [Started?](repeating: nil, count: count)
        // Identical jobs in one run (two scenes with the same frame) are made once: the first
        // node with a key leads, the others follow and take its output.
        var leaders: [String: Int] = [:]
        var followers: [Int: [Int]] = [:]
        var cancelled = false, stopped = false
        let ledger = options.ledger ?? options.budget.map { SpendLedger(limit: $0) }
        var reservations: [Int: Money] = [:]
        var lastWrite = ContinuousClock.now
        if let folder {
            do { try folder.create() } catch { recorder.noteWriteFailure("\(error)") }
        }
        events(.runStarted(.init(runID: runID, template: graph.templateID, productID: productID,
                                 jobs: (0..<count).filter { graph.nodes[$0].generates && schedule.status[$0] != .skipped }.count,
                                 simulated: options.simulated, offline: options.offline, folder: folder?.url.path)))
        let attempts = AttemptRunner(retry: options.retry, scratchFolders: options.scratchFolders, events: events)
        let scratchBase = self.scratchBase.path

        await withTaskGroup(of: (Int, AttemptRunner.Outcome).self) { group in
            func end(_ i: Int, _ status: NodeStatus) {
                for blocked in schedule.end(i, status) {
                    recorder.block(blocked, by: i)
                    if graph.nodes[blocked].generates { events(.blocked(node: graph.nodes[blocked].id, by: graph.nodes[i].id)) }
                }
                if status == .failed && options.failFast && !stopped {
                    stopped = true
                    for s in schedule.stop() { recorder.skip(s, reason: "not run: the run stopped at the first failure") }
                    group.cancelAll()
                }
            }
            func stopForBudget(_ i: Int, ledger: SpendLedger, estimate: Money) {
                let reason = "the budget of \(ledger.limit) was reached: \(ledger.spent) spent, \(ledger.reserved) in flight, and \(graph.nodes[i].id) is estimated at \(estimate)"
                recorder.stopReason = reason
                events(.skipped(node: graph.nodes[i].id, reason: reason))
                stopped = true
                schedule.end(i, .skipped)
                recorder.skip(i, reason: "not run: \(reason)")
                for s in schedule.stop() { recorder.skip(s, reason: "not run: the budget of \(ledger.limit) was reached") }
            }
            func pump() {
                while !stopped, let i = schedule.nextReady() {
                    switch prepare(i, builder: builder, files: &files, recorder: &recorder, forced: forced[i], scratchBase: scratchBase) {
                    case .done(let status): end(i, status)
                    case .job(let job, let generator, let key):
                        if let leader = leaders[key.value] {
                            followers[leader, default: []].append(i)
                            continue
                        }
                        leaders[key.value] = i
                        pending[i] = (job, generator, key)
                        schedule.enqueue(i, on: job.model.provider)
                    }
                }
                while !stopped, let i = schedule.nextStart() {
                    guard let (job, generator, key) = pending[i] else { continue }
                    pending[i] = nil
                    if let ledger {
                        let estimate = graph.estimate(of: i, model: job.model).cost
                        guard let reserved = ledger.reserve(estimate, model: job.model.id) else {
                            stopForBudget(i, ledger: ledger, estimate: estimate)
                            break
                        }
                        reservations[i] = reserved
                    }
                    keys[i] = (key, recorder.remembers ? CacheKey.components(of: job) : nil)
                    recorder[i].status = .running
                    recorder[i].startedAt = Date()
                    group.addTask { (i, await execute(job, generator: generator, key: key, attempts: attempts)) }
                }
            }

            pump()
            while let (i, outcome) = await group.next() {
                let started = keys[i]
                keys[i] = nil
                let status = record(i, outcome, recorder: &recorder, files: &files, started: started, model: builder.models[i])
                if let ledger, let reserved = reservations.removeValue(forKey: i) {
                    ledger.settle(reserved: reserved, cost: status == .succeeded ? recorder[i].cost ?? .zero : .zero, model: recorder[i].model ?? "")
                }
                end(i, status)
                if let started { leaders[started.key.value] = nil }
                for follower in followers.removeValue(forKey: i) ?? [] {
                    end(follower, follow(follower, leader: i, status: status, recorder: &recorder, files: &files))
                }
                if Task.isCancelled && !cancelled {
                    cancelled = true
                    stopped = true
                    for s in schedule.stop() { recorder.skip(s, reason: "cancelled") }
                    group.cancelAll()
                }
                pump()
                if folder != nil, ContinuousClock.now - lastWrite >= .milliseconds(Int(options.reportInterval * 1000)) {
                    lastWrite = ContinuousClock.now
                    recorder.write(recorder.report(finished: false))
                }
            }
        }
        if Task.isCancelled { cancelled = true }
        for i in 0..<count where schedule.status[i] == .pending || schedule.status[i] == .running {
            recorder.skip(i, reason: cancelled ? "cancelled" : "not run")
        }
        if cancelled { recorder.stopReason = "cancelled" }
        if options.scratchFolders { Workspace.removeScratch(self.scratchBase, workspace: workspace) }
        if graph.indexByID["final.video"].map({ schedule.status[$0].isDone }) == true {
            recorder.writeTimeline(finishing: options.finishing, words: builder.spokenWords(files: { files[$0] }))
        }
        // A failure to write the report itself is reported by the second report (the run fails).
        let report = recorder.report(finished: true, cancelled: cancelled, failFast: options.failFast && stopped)
        recorder.write(report)
        return recorder.writeFailure == nil ? report : recorder.report(finished: true, cancelled: cancelled, failFast: options.failFast && stopped)
    }

    // MARK: Preparing a node

    private enum Preparation {
        case done(NodeStatus)
        case job(Job, Generator, CacheKey)
    }

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
                recorder.fail(i, message: error.description, attempts: 0)
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
        let (jobKey, key, repaired) = Takes.choose(&job, cache: cache, picks: options.picks, regenerate: forced)
        if let repaired { events(.warning(node: node.id, message: repaired)) }
        recorder[i].prompt = job.prompt.isEmpty ? nil : job.prompt
        recorder[i].cacheKey = key.value
        recorder[i].take = job.take
        recorder[i].jobKey = key == jobKey ? nil : jobKey.value
        var reason: String
        var lookup = forced ? .miss : cache.lookup(key.value)
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
                cache.quarantine(key.value, reason: why)
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
                : job.take > 1 ? "take \(job.take) (\(options.picks[jobKey.value] == job.take ? "picked" : "the newest")) is not in the cache"
                : recorder.explainMiss(i, key: key, job: job)
        }
        recorder[i].reason = reason
        job.journal = JobJournal(file: workspace?.root.appendingPathComponent("journal/\(key.value).json"))
        return .job(job, generator, key)
    }
}

extension RunEngine {
    /// A run of a checked template with these inputs (no remote images, no replacements): for
    /// tests, benchmarks and programs that drive the engine without a session.
    public init(checked: CheckedTemplate, inputs: HydrationInputs, cache: OutputCache, options: RunOptions, folder: RunFolder?,
                workspace: Workspace?, runID: String = Workspace.newRunID(), generators: @escaping @Sendable (ModelInfo) -> Generator?,
                events: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.init(runID: runID, graph: checked.graph, template: checked.reference,
                  inputs: InputResolver(templateDirectory: checked.loaded.directory, assets: inputs, replacements: inputs.replacements),
                  cache: cache, options: options, folder: folder, workspace: workspace, productID: inputs.productID,
                  generators: generators, events: events)
    }
}
