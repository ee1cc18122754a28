import Foundation
import SceneFlowBasics
import SceneFlowGraphviz
import SceneFlowProviders
import SceneFlowRun
import SceneFlowStore
import SceneFlowTemplate

/// What to hydrate and how.
public struct HydrationRequest: Sendable {
    public var template: CheckedTemplate
    public var inputs: HydrationInputs
    /// Node ids, scene ids or stages (`frames`, `audio`, `clips`, `final`); empty makes everything.
    public var targets: [String] = []
    /// Node or scene ids to make again.
    public var regenerate: [String] = []
    /// Images replacing the template's avatars and backgrounds for this hydration, by node id
    /// (`avatar:maya`, `background:kitchen`).
    public var replacements: [String: URL] = [:]
    /// A music bed under the whole cut (`--music`), checked before anything runs.
    public var music: String?
    /// Burn the captions into the final cut (`--captions burn`).
    public var burnCaptions = false
    /// Captions written beside the cut and as markers in `final.otio` (`--captions none`: not).
    public var captionFiles = true
    public var options = RunOptions()
    /// Rehearse at this speed (placeholders, nothing spent, a cache of its own).
    public var simulate: Double?
    /// The run folder (`--out`); default a new folder under the workspace's `runs/`.
    public var out: URL?
    public var runID = Workspace.newRunID()
    /// The most the jobs that will run may cost (their estimate is compared before anything starts).
    public var budget: Money?

    public init(template: CheckedTemplate, inputs: HydrationInputs) {
        self.template = template
        self.inputs = inputs
    }
}

/// A hydration that passed every check: nothing has been spent yet.
public struct PreparedHydration: Sendable {
    public let request: HydrationRequest
    public let scheduler: Scheduler
    public let folder: RunFolder
    /// What would run, its time and cost (cached nodes cost nothing).
    public let plan: Plan?
}

/// How a hydration ended.
public struct HydrationResult: Sendable {
    public var report: RunReport
    public var folder: RunFolder
    /// `run.svg`, if it could be drawn.
    public var diagram: URL?
    /// Things that went wrong after the run that it should say (history not updated, no diagram).
    public var warnings: [String] = []
    /// The history could not record the run's end: `report` (failed, saying why) is the truth,
    /// and recording it should be tried again (`WorkspaceDatabase.record`).
    public var unrecorded = false
}

/// The one way to hydrate, behind `run`, each product of `batch`, and `serve`: checks the inputs,
/// targets, keys and tools, fetches remote images, prepares the run folder, estimates what will
/// run against a budget, runs the graph once, and writes the report, the diagram and the
/// history. Nothing is spent until every check has passed.
public struct HydrationSession: Sendable {
    public let workspace: Workspace
    /// Assets, history and picks: the workspace's database, or a team's (`Store`).
    public let store: (any Store)?
    public var generators: GeneratorSet
    /// Team mode: where outputs are shared with every host (`SharedOutputCache`); nil keeps
    /// them in this workspace only.
    public var sharedObjects: (any BlobStore)?
    /// Told what the shared cache could not do (a run goes on with its local cache).
    public var notices: @Sendable (String) -> Void = { _ in }
    /// Team mode: providers' limits across every process and host (`sceneflow limits`), held
    /// on top of this process's own.
    public var teamLimits: (any SharedLimits)?
    /// Team mode: the provider request journal every host shares (one submit per job).
    public var teamJournal: (any JournalBackend)?

    public init(workspace: Workspace, store: (any Store)?, generators: GeneratorSet, sharedObjects: (any BlobStore)? = nil) {
        self.workspace = workspace
        self.store = store
        self.generators = generators
        self.sharedObjects = sharedObjects
    }

    /// Checks everything and builds the run; throws (with nothing spent) when it cannot start.
    public func prepare(_ request: HydrationRequest, events: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws(HydrationError) -> PreparedHydration {
        let checked = request.template
        let graph = checked.graph
        do { try workspace.create() } catch { throw .folder(error.description) }
        workspace.removeStaleScratch()
        var options = try await check(request)

        let remote: [String: URL]
        do {
            remote = try await RemoteImages.fetch(RemoteImages.references(in: checked.template, directory: checked.loaded.directory),
                                                  into: workspace.remoteImagesDirectory)
        } catch { throw .remoteImages("\(error)") }

        let local = FileOutputCache(directory: request.simulate != nil ? workspace.simulatedCacheDirectory : workspace.cacheDirectory)
        // Rehearsals' placeholders are never shared.
        let cache: any OutputCache = request.simulate == nil ? sharedObjects.map { SharedOutputCache(local: local, shared: $0, notices: notices) } ?? local : local
        var inputs = InputResolver(templateDirectory: checked.loaded.directory, assets: request.inputs, remoteImages: remote,
                                   replacements: request.replacements)
        if !options.simulated {
            do { options.picks = try store?.picks(template: checked.id) ?? [:] } catch { throw .folder("\(error)") }
            // An earlier attempt's takes are this run's, whatever was picked since.
            for resumed in options.resumedTakes.values { options.picks[resumed.jobKey] = resumed.take }
        }
        if let teamLimits, !options.simulated { options.sharedLimiter = ChainedLimits(local: options.sharedLimiter, team: teamLimits) }
        if let teamJournal, !options.simulated { options.sharedJournal = teamJournal }
        options.finishing.burnCaptions = request.burnCaptions
        options.finishing.captionFiles = request.captionFiles || request.burnCaptions
        if let music = request.music {
            do { options.finishing.music = try await MusicProbe.bed(music) } catch let unreadable as InputFileError {
                throw .unreadable(unreadable)
            } catch {
                throw .invalidInputs([Diagnostic(.error, .assetTypeMismatch, "\(error)", path: "--music")])
            }
        }
        options.finishing.provenance = [
            "title": checked.template.name ?? checked.id,
            "comment": "Made with SceneFlow \(SceneFlowVersion.current) · template \(checked.id)"
                + (request.inputs.productID.map { " · product \($0)" } ?? ""),
        ]
        var builder = JobBuilder(graph: graph, offline: options.offline, resolution: options.resolution)
        builder.finishing = options.finishing
        let cached = CachePrediction.cachedNodes(graph, builder: builder, inputs: inputs, cache: cache, picks: options.picks,
                                                 regenerate: RunSelection.forced(graph, regenerate: options.regenerate).filter { options.resumedTakes[graph.nodes[$0].id] == nil })
        // The run itself reads its inputs through pinned copies.
        // (A rehearsal keeps its pins with its placeholders, out of the real cache.)
        inputs.pins = InputPins(directory: request.simulate != nil ? workspace.simulatedCacheDirectory.appendingPathComponent("inputs") : workspace.inputPinsDirectory)
        let plan = Planner.plan(graph, limits: options.limits, offline: options.offline, targets: options.targets, cached: cached)
        if let budget = request.budget, let plan, plan.totalCost > budget, !options.simulated {
            throw .overBudget("the \(plan.runningCount) jobs that would run are estimated at \(plan.totalCost), above the budget of \(budget) (--max-cost); nothing was run")
        }
        // A rehearsal spends nothing, so no budget stops it.
        options.budget = options.simulated ? nil : request.budget
        if options.simulated { options.ledger = nil }
        // Last, once every check has passed: the run's folder (an earlier run's files there go now).
        let inputFiles = request.inputs.files.map(\.url) + Array(request.replacements.values)
        let folder = try RunFolders.prepare(out: request.out, runID: request.runID, workspace: workspace, inputs: inputFiles)
        let generators = self.generators
        let scheduler = Scheduler(runID: request.runID, graph: graph, template: checked.reference, inputs: inputs, cache: cache,
                               options: options, folder: folder, workspace: workspace, productID: request.inputs.productID,
                               generators: { generators.generator(for: $0) }, events: Self.following(events, folder: folder, store: store))
        return PreparedHydration(request: request, scheduler: scheduler, folder: folder, plan: plan)
    }

    /// Every check of a request that needs neither the network nor the cache: inputs, images
    /// (every pixel decoded), targets, takes' prompts and seeds, and (with `keys`) the keys and
    /// tools of the models that would run. Returns the run's options as the checks resolved them.
    /// `run --detach` checks here on the submitting host (`keys` off: keys are the workers').
    public func check(_ request: HydrationRequest, keys: Bool = true) async throws(HydrationError) -> RunOptions {
        let checked = request.template
        let graph = checked.graph
        var diagnostics = InputValidator().validate(request.inputs, InputContext(loaded: checked.loaded, template: checked.template))
        diagnostics += ReplacementCheck.check(request.replacements, graph: graph)
        if diagnostics.hasErrors { throw .invalidInputs(diagnostics) }

        var options = request.options
        options.simulated = request.simulate != nil
        do {
            options.targets = request.targets.isEmpty ? nil : try RunSelection.nodes(for: request.targets, in: graph)
            options.regenerate = try RunSelection.regenerated(request.regenerate, in: graph)
        } catch { throw .unknownName(error.description) }
        // A take's edited prompt, seed and variations belong to the nodes it regenerates.
        for node in Set(options.prompts.keys).union(options.seeds.keys).sorted() where !options.regenerate.contains(node) {
            throw .unknownName("\(Slug.shown(node)) is given a prompt or a seed but is not regenerated; regenerate it to make a take with them")
        }
        if let (node, prompt) = options.prompts.first(where: { $0.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || $0.value.count > 10_000 }) {
            let blank = prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            throw .unknownName("the prompt for \(node) is \(blank ? "empty" : "\(prompt.count) characters long; it may be at most 10000")")
        }
        if let (node, seed) = options.seeds.first(where: { !(0...Int(UInt32.max)).contains($0.value) }) {
            throw .unknownName("the seed for \(node) is \(seed); a seed is a whole number from 0 to \(UInt32.max)")
        }
        for node in options.prompts.keys.sorted() {
            guard let index = graph.indexByID[node], let job = graph.nodes[index].job,
                  [JobKind.firstFrame, .lastFrame, .cameraAngle, .video].contains(job) else {
                throw .unknownName("\(Slug.shown(node)) has no prompt to edit: a voice-over says the scene's dialogue and the cut has no prompt; edit the template instead")
            }
        }
        guard (1...8).contains(options.variations) else { throw .unknownName("variations is \(options.variations); it is 1 to 8") }
        if options.variations > 1, options.regenerate.isEmpty { throw .unknownName("variations are takes of a regenerated node; name the node to regenerate") }

        let selected = RunSelection.selected(graph, targets: options.targets)
        let models = graph.nodes.indices.filter { selected?[$0] ?? true }
            .compactMap { graph.model(of: $0, offline: options.offline) }
        if keys { try generators.check(models) }
        // Every image the run would read decodes, every pixel, before anything is spent.
        diagnostics += await ImageDecodeCheck.diagnostics(checked.loaded, inputs: request.inputs, replacements: request.replacements)
        if diagnostics.hasErrors { throw .invalidInputs(Diagnostic.sortedByPosition(diagnostics)) }

        return options
    }

    /// The run's events, and every 2 s at most (on an event) its `run.json` as it stands told to
    /// the store, so that other hosts of a team follow the run live (a no-op for the embedded
    /// store). Off the run's thread: a slow database never holds a job up.
    static func following(_ events: @escaping @Sendable (RunEvent) -> Void, folder: RunFolder, store: (any Store)?) -> @Sendable (RunEvent) -> Void {
        guard let store, store.keepsProgress else { return events }
        let last = ProgressClock()
        return { event in
            events(event)
            guard last.due() else { return }
            Task.detached {
                guard let file = try? folder.file("run.json"), let report = try? RunReport.read(from: file), report.status == .running else { return }
                try? store.progress(report)
            }
        }
    }

    /// Records a prepared run before anyone is told it exists (the server answers 202 after
    /// this, the command line runs it after this): its folder, its first `run.json` (every node
    /// pending) and its history row (with this process's identity, so a killed run can be told
    /// from a live one), and the scratch folder claimed. A run that cannot be recorded (a full
    /// disk, a read-only workspace) is refused here, with nothing spent and nothing left behind.
    public func begin(_ prepared: PreparedHydration) async throws(HydrationError) {
        do { try await recordStart(prepared.scheduler, folder: prepared.folder) } catch {
            if prepared.request.out == nil { workspace.remove(prepared.folder.url) }
            try? FileManager.default.removeItem(at: workspace.scratchDirectory.appendingPathComponent(prepared.scheduler.runID))
            throw error
        }
    }

    /// Records a run that was begun but will not be run (its batch could not start) as
    /// `cancelled`, saying why.
    public func abandon(_ prepared: PreparedHydration, reason: String) async {
        var recorder = RunRecorder(runID: prepared.scheduler.runID, template: prepared.scheduler.template, graph: prepared.scheduler.graph,
                                   folder: prepared.folder, indexDirectory: nil)
        recorder.stopReason = reason
        recorder.productID = prepared.scheduler.productID
        let report = recorder.report(finished: true, cancelled: true)
        recorder.write(report)
        _ = try? await store?.patiently { try $0.record(report, folder: prepared.folder.url) }
        try? FileManager.default.removeItem(at: workspace.scratchDirectory.appendingPathComponent(prepared.scheduler.runID))
    }

    func recordStart(_ scheduler: Scheduler, folder: RunFolder) async throws(HydrationError) {
        var recorder = RunRecorder(runID: scheduler.runID, template: scheduler.template, graph: scheduler.graph, folder: folder, indexDirectory: nil)
        recorder.simulated = scheduler.options.simulated
        recorder.offline = scheduler.options.offline
        recorder.productID = scheduler.productID
        let starting = recorder.report(finished: false)
        do {
            try folder.create()
            try folder.write(try starting.encoded(), as: "run.json")
            try workspace.claimScratch(runID: scheduler.runID)
            try await store?.patiently { try $0.begin(starting, folder: folder.url) }
        } catch {
            throw .unrecordable("the run could not be recorded, so it was not started: \(ErrorText.describe(error))")
        }
    }

    /// Runs a prepared hydration to its end (cancel the calling task to stop it: jobs in flight
    /// are cancelled, the report says `cancelled`). `ending` decides what the history is told of
    /// the end (a team's worker: `queued` again when it stopped and handed the run back, nothing
    /// when another worker took the run over); the folder's `run.json` always says how this
    /// host's attempt ended.
    public func run(_ prepared: PreparedHydration, events: @escaping @Sendable (RunEvent) -> Void = { _ in },
                    ending: @escaping @Sendable (RunReport) async -> RunReport? = { $0 }) async -> HydrationResult {
        let scheduler = prepared.scheduler
        // (A shared store's waits are told by the store itself, on standard error: a task-local
        // observer around the run crashed release builds in swift_task_localValuePush.)
        let report = await scheduler.run()
        var result = HydrationResult(report: report, folder: prepared.folder)
        do {
            let diagram = try await RunDiagram.render(LoadedRun(report: report, folder: prepared.folder.url), graph: scheduler.graph,
                                                      template: prepared.request.template.template)
            try prepared.folder.write(diagram, as: "run.svg")
            result.diagram = try prepared.folder.file("run.svg")
        } catch {
            result.warnings.append("the run's diagram could not be written: \(ErrorText.describe(error))")
        }
        do { try RunFolders.finish(prepared.folder, runID: report.runID, workspace: workspace) } catch {
            result.warnings.append("the run folder's list of delivered files could not be written (a later run there will refuse the folder): \(ErrorText.describe(error))")
        }
        do {
            if let told = await ending(report) {
                try await store?.patiently(waiting: { reason in
                    events(.warning(node: "history", message: "waiting to record the run's end: \(reason)"))
                }) { try $0.record(told, folder: prepared.folder.url) }
            }
        } catch {
            // run.json is the run's truth; the history is told later (the server keeps trying,
            // `runs import` adds it by hand, and the next process that settles runs imports it).
            result.unrecorded = true
            result.warnings.append("the run's end could not be added to the history (\(error)); run.json says how it ended: add it with `sceneflow runs import \(prepared.folder.url.path)`")
        }
        events(.runFinished(.init(runID: report.runID, status: report.status, counts: report.counts, cost: report.cost,
                                  costEstimated: report.costEstimated, stopReason: report.stopReason, folder: prepared.folder.url.path,
                                  report: (try? prepared.folder.file("run.json"))?.path,
                                  finalVideo: report.finalVideo.flatMap { try? prepared.folder.file($0) }?.path,
                                  diagram: result.diagram?.path)))
        return result
    }
}

/// A run's diagram (`run.svg`): nodes coloured by status, finished frames as thumbnails that
/// refer to the images beside it in the run folder (relative names, so the folder can be
/// moved or shared); `imageBase` goes before those names when the diagram is served elsewhere.
public enum RunDiagram {
    public static func render(_ run: LoadedRun, graph: SceneGraph, template: Template, format: DiagramFormat = .svg,
                              imageBase: String = "") async throws -> Data {
        let diagram = DiagramBuilder(graph: graph, template: template, options: DiagramBuilder.Options(run: run, graph: graph)).build()
        let data = try await GraphvizRenderer.shared.render(diagram, format: format)
        guard format == .svg else { return data }
        return Data(SVGImages.relativize(String(decoding: data, as: UTF8.self), folder: run.folder, base: imageBase).utf8)
    }
}

/// When a running run last told the store how it goes.
final class ProgressClock: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast
    func due(every seconds: Double = 2) -> Bool {
        lock.withLock {
            guard Date().timeIntervalSince(last) >= seconds else { return false }
            last = Date()
            return true
        }
    }
}
