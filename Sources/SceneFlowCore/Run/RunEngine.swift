import Foundation
import HeapModule

/// Something that happened in a run, for progress displays and `--json` (NDJSON) consumers.
public enum RunEvent: Sendable {
    case started(node: String, attempt: Int, provider: Provider)
    case retrying(node: String, attempt: Int, delay: Double, error: String)
    case finished(node: String, status: NodeStatus, seconds: Double)
    case failed(node: String, error: String, attempts: Int)
    case blocked(node: String, by: String)
}

/// Settings of one run.
public struct RunOptions: Sendable {
    public var limits = RunLimits()
    public var retry = RetryPolicy()
    /// Stop everything at the first failure (the old behaviour) instead of finishing independent work.
    public var failFast = false
    /// Run every job on the local engine.
    public var offline = false
    /// Nodes to make again even if cached; their descendants follow.
    public var regenerate: Set<String> = []
    /// Extra parameters for every job (the local engine's `resolution`), part of the cache key.
    public var parameters: [String: String] = [:]
    /// How often `run.json` is rewritten while the run goes on (it is always written at the end).
    public var reportInterval: Double = 1
    /// Give each job attempt a scratch folder (generators that write files need one).
    public var scratchFolders = true
    /// Slots shared with other runs in this process (a batch); the run's own limits apply too.
    public var sharedLimiter: ConcurrencyLimiter?
    /// Identical jobs of concurrent runs are made once (a batch's shared voice-overs).
    public var coalescer: JobCoalescer?
    /// Avatar and background images given as https URLs, already downloaded: URL → file.
    public var remoteImages: [String: URL] = [:]

    public init() {}
}

/// Runs a scene graph like a build system.
///
/// Scheduling: every node whose inputs are ready is a candidate; the one with the longest
/// remaining critical path starts first, up to the global concurrency and each provider's
/// limit. Retries happen inside a job's slot (a job backing off keeps its slot), so limits
/// hold even while retries pile up: no retry storm past a provider's limit. Inputs, reused
/// frames and cache hits complete inline without taking a slot.
///
/// Failures are collected: a failed node's descendants become `blocked`, independent work
/// finishes, and the report says what failed and why. Every output is stored in the cache
/// atomically as its node finishes, so a killed run loses only the jobs in flight and the
/// same command finishes the rest from the cache.
public final class RunEngine: @unchecked Sendable {
    public let graph: SceneGraph
    public let template: Template
    public let loaded: LoadedTemplate
    public let inputs: HydrationInputs
    public let registry: ModelRegistry
    public let store: OutputStore
    public let options: RunOptions
    /// The run folder (outputs linked in, run.json), or nil for an in-memory run.
    public let runFolder: URL?
    public let workspace: Workspace?
    public let runID: String
    private let generators: @Sendable (ModelInfo) -> Generator?
    private let events: @Sendable (RunEvent) -> Void

    public init(loaded: LoadedTemplate, template: Template, inputs: HydrationInputs, registry: ModelRegistry = .standard,
                store: OutputStore, options: RunOptions, runFolder: URL?, workspace: Workspace?, runID: String = Workspace.newRunID(),
                generators: @escaping @Sendable (ModelInfo) -> Generator?, events: @escaping @Sendable (RunEvent) -> Void = { _ in }) {
        self.loaded = loaded
        self.template = template
        self.graph = SceneGraph(template: template, registry: registry)
        self.inputs = inputs
        self.registry = registry
        self.store = store
        self.options = options
        self.runFolder = runFolder
        self.workspace = workspace
        self.runID = runID
        self.generators = generators
        self.events = events
    }

    // MARK: State (touched only by the scheduling loop in `run()`)

    private struct FileRef: Sendable {
        var url: URL
        var sha256: String
    }

    private var status: [NodeStatus] = []
    private var outputs: [[FileRef]] = []
    private var records: [RunReport.Node] = []
    private var incoming: [[(from: Int, type: SceneGraph.EdgeType)]] = []
    private var forced = Set<Int>()
    private var startedAt = Date()
    private var lastReportWrite = Date.distantPast
    private var jobCounter = 0
    /// What each job in flight is made of (its cache key's inputs), kept from `prepare` for the
    /// explain index written when it succeeds.
    private var components: [Int: [String: String]] = [:]
    /// Scratch folders of this run's jobs live under here (removed as each attempt ends).
    private lazy var scratchBase: URL = (workspace?.root ?? FileManager.default.temporaryDirectory)
        .appendingPathComponent("tmp/\(runID)", isDirectory: true)

    /// The models every generation node will run on.
    public func models() -> [(node: String, model: ModelInfo)] {
        graph.models(registry: registry, offline: options.offline)
    }

    /// Environment variables the run needs and does not have (checked before anything runs).
    public func missingKeys(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        Provider.missingKeys(for: models().map(\.model), environment: environment)
    }

    // MARK: Running

    public func run() async -> RunReport {
        let count = graph.nodes.count
        startedAt = Date()
        status = Array(repeating: .pending, count: count)
        outputs = Array(repeating: [], count: count)
        incoming = Array(repeating: [], count: count)
        for edge in graph.edges { incoming[edge.to].append((edge.from, edge.type)) }
        records = graph.nodes.indices.map { i in
            let node = graph.nodes[i]
            let model = graph.model(of: i, registry: registry, offline: options.offline)
            return RunReport.Node(id: node.id, kind: node.kind.rawValue, operation: node.operation.rawValue, status: .pending,
                                  attempts: 0, model: model?.id, provider: model?.provider.rawValue,
                                  offline: model == nil ? nil : options.offline)
        }
        for id in options.regenerate {
            guard let i = graph.indexByID[id] else { continue }
            forced.insert(i)
            forced.formUnion(graph.descendants(of: i))
        }
        if let runFolder { try? FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true) }

        // Priority: the longest estimated path from a node to the end (the planner's weights).
        let order = graph.topologicalOrder() ?? Array(0..<count)
        let priority = GraphAlgorithms.criticalPath(order: order, count: count, weight: { i in
            graph.estimate(of: i, model: graph.model(of: i, registry: registry, offline: options.offline)).seconds
        }) { graph.successors[$0] }.remaining

        typealias Ready = ProviderQueues.Item
        var waiting = graph.predecessors.map(\.count)
        var ready = Heap<Ready>()
        for i in 0..<count where waiting[i] == 0 { ready.insert(Ready(priority: priority[i], node: i)) }
        var slots = ProviderQueues()
        var jobs: [Int: (Job, Generator)] = [:]
        var stopping = false
        var cancelled = false

        await withTaskGroup(of: (Int, JobOutcome).self) { group in
            /// Marks a node finished and releases its dependents.
            func complete(_ i: Int) {
                for next in graph.successors[i] {
                    waiting[next] -= 1
                    if waiting[next] == 0 { ready.insert(Ready(priority: priority[next], node: next)) }
                }
            }
            func fail(_ i: Int) {
                for d in graph.descendants(of: i) where status[d] == .pending {
                    status[d] = .blocked
                    records[d].status = .blocked
                    records[d].error = "blocked: \(graph.nodes[i].id) failed"
                    events(.blocked(node: graph.nodes[d].id, by: graph.nodes[i].id))
                }
                if options.failFast { stopping = true; group.cancelAll() }
            }
            func startReady() {
                // Prepare everything whose inputs are ready: inputs, reuses and cache hits finish
                // here (releasing more nodes); generation jobs join their provider's queue.
                while !stopping, let item = ready.popMin() {
                    let i = item.node
                    guard status[i] == .pending else { continue }
                    switch prepare(i) {
                    case .done: complete(i)
                    case .failed: fail(i)
                    case .generate(let job, let generator):
                        jobs[i] = (job, generator)
                        slots.enqueue(i, priority: item.priority, provider: job.model.provider)
                    }
                }
                // Start the most urgent queued jobs while there are slots.
                while !stopping, let (i, provider) = slots.next(limits: options.limits) {
                    guard status[i] == .pending, let (job, generator) = jobs.removeValue(forKey: i) else {
                        slots.release(provider)
                        continue
                    }
                    status[i] = .running
                    records[i].status = .running
                    records[i].startedAt = Date()
                    let key = records[i].cacheKey!
                    group.addTask { [self] in (i, await self.execute(job, key: key, generator: generator)) }
                }
            }

            startReady()
            for await (i, outcome) in group {
                slots.release(records[i].provider.flatMap(Provider.init(rawValue:)) ?? .local)
                finish(i, outcome)
                switch outcome {
                case .succeeded, .reused: complete(i)
                case .failed: fail(i)
                case .cancelled: cancelled = true
                }
                if Task.isCancelled && !stopping { stopping = true; cancelled = true; group.cancelAll() }
                writeReportIfDue()
                if !stopping { startReady() }
            }
            if Task.isCancelled { cancelled = true }
        }

        // Whatever never ran: blocked behind a failure, or skipped (cancelled, fail-fast).
        for i in order where status[i] == .pending || status[i] == .running {
            let blockedBy = graph.predecessors[i].first { status[$0] == .failed || status[$0] == .blocked }
            status[i] = blockedBy == nil ? .skipped : .blocked
            records[i].status = status[i]
            if records[i].error == nil {
                records[i].error = blockedBy.map { "blocked: \(graph.nodes[$0].id) \(status[$0].rawValue)" } ?? (cancelled ? "cancelled" : "not run: the run stopped at the first failure")
            }
        }
        if options.scratchFolders { try? FileManager.default.removeItem(at: scratchBase) }
        let report = makeReport(cancelled: cancelled, finished: true)
        writeReport(report)
        if report.status == .succeeded || report.finalVideo != nil { writeTimeline() }
        return report
    }

    // MARK: Preparing a node

    private enum Preparation {
        case done
        case failed
        case generate(Job, Generator)
    }

    /// Resolves inputs and reuses inline; builds the job of a generation node and answers it from
    /// the cache when possible.
    private func prepare(_ i: Int) -> Preparation {
        let node = graph.nodes[i]
        let now = Date()
        records[i].startedAt = now
        switch node.operation {
        case .input:
            do {
                outputs[i] = try inputFiles(node)
                setDone(i, .succeeded, reason: "input")
                return .done
            } catch {
                setFailed(i, message: "\(error)", attempts: 0)
                return .failed
            }
        case .reuse:
            guard let source = graph.predecessors[i].first else {
                setFailed(i, message: "reused frame has no source", attempts: 0)
                return .failed
            }
            outputs[i] = outputs[source]
            records[i].output = records[source].output
            records[i].sha256 = records[source].sha256
            setDone(i, .succeeded, reason: "the same image as \(graph.nodes[source].id)")
            return .done
        default:
            break
        }
        guard let model = graph.model(of: i, registry: registry, offline: options.offline), let kind = graph.jobKind(of: i) else {
            setFailed(i, message: "unknown model \(node.model ?? "?")", attempts: 0)
            return .failed
        }
        guard let generator = generators(model) else {
            setFailed(i, message: "no generator for provider \(model.provider.rawValue) in this build; run with --offline", attempts: 0)
            return .failed
        }
        let job = makeJob(i, kind: kind, model: model)
        records[i].prompt = job.prompt.isEmpty ? nil : job.prompt
        let jobComponents = cacheComponents(job)
        let key = cacheKey(jobComponents)
        records[i].cacheKey = key
        components[i] = jobComponents
        if !forced.contains(i), let hit = store.lookup(key) {
            adopt(i, hit)
            setDone(i, .cached, reason: "cached: an identical job was made before (\(hit.metadata.createdAt.formatted(.iso8601)))")
            events(.finished(node: node.id, status: .cached, seconds: 0))
            return .done
        }
        records[i].reason = forced.contains(i) ? "forced by --regenerate" : explainMiss(i, key: key, current: jobComponents)
        var prepared = job
        prepared.journal = JobJournal(file: workspace?.root.appendingPathComponent("journal/\(key).json"))
        return .generate(prepared, generator)
    }

    private func inputFiles(_ node: SceneGraph.Node) throws -> [FileRef] {
        switch node.kind {
        case .asset:
            return try inputs.files(for: node.input ?? "").map { FileRef(url: $0.url, sha256: try Digest.sha256(fileAt: $0.url)) }
        default:
            guard let reference = node.input else { return [] }
            switch ImageReference.resolve(reference, templateDirectory: loaded.directory) {
            case .file(let url): return [FileRef(url: url, sha256: try Digest.sha256(fileAt: url))]
            case .remote(let url):
                guard let file = options.remoteImages[url.absoluteString] else {
                    throw RunError("\(url.absoluteString) was not downloaded before the run")
                }
                return [FileRef(url: file, sha256: try Digest.sha256(fileAt: file))]
            case .escapes, .invalid: throw RunError("\(reference) is not a usable image reference")
            }
        }
    }

    private func makeJob(_ i: Int, kind: JobKind, model: ModelInfo) -> Job {
        let node = graph.nodes[i]
        let scene = node.sceneIndex.map { template.scenes[$0] }
        let spec: FrameSpec? = node.kind == .lastFrame ? scene?.lastFrame : node.kind == .firstFrame ? scene?.firstFrameSpec : nil
        var jobInputs: [Job.Input] = []
        for (from, type) in incoming[i] {
            for file in outputs[from] {
                jobInputs.append(Job.Input(role: type, node: graph.nodes[from].id, file: file.url, sha256: file.sha256))
            }
        }
        var parameters = options.parameters
        parameters["aspect_ratio"] = template.aspectRatio.rawValue
        switch kind {
        case .video:
            parameters["duration_s"] = formatNumber(scene?.duration ?? 5)
            parameters["speaking"] = scene?.isSpeaking == true ? "true" : "false"
        case .audio:
            parameters["voice"] = voice(for: scene)
            parameters["dialogue"] = scene?.dialogue?.value ?? ""
            parameters["duration_s"] = formatNumber(scene?.duration ?? 5)
        case .cameraAngle:
            parameters["camera"] = spec?.camera?.value ?? ""
        case .firstFrame, .lastFrame:
            parameters["scene_prompt"] = scene?.prompt?.value ?? ""
            parameters["frame_prompt"] = spec?.prompt?.value ?? ""
        case .combine:
            parameters["clips"] = incoming[i].map { graph.nodes[$0.from].scene ?? "" }.joined(separator: ",")
        default: break
        }
        let prompt = PromptBuilder.prompt(for: kind, operation: node.operation, scene: scene, frameSpec: spec,
                                          inputs: jobInputs.map(\.role), aspectRatio: template.aspectRatio)
        jobCounter += 1
        let scratch = scratchBase.appendingPathComponent("\(node.id)-\(jobCounter)", isDirectory: true)
        return Job(node: node.id, kind: kind, operation: node.operation, model: model, scene: node.scene, prompt: prompt,
                   parameters: parameters, inputs: jobInputs, scratch: scratch, attempt: 1, journal: .none)
    }

    /// The scene's `audio.voice`, else its avatar's voice, else empty (the generator's default).
    private func voice(for scene: Scene?) -> String {
        if let voice = scene?.audioVoice?.value { return voice }
        guard let avatar = scene?.avatar?.value else { return "" }
        return template.avatars.first { $0.id?.value == avatar }?.voice?.value ?? ""
    }

    /// Everything that shapes a job's output, canonically: kind, operation, model, prompt,
    /// parameters (sorted) and the digests of its inputs in order.
    func cacheComponents(_ job: Job) -> [String: String] {
        var c: [String: String] = ["kind": job.kind.rawValue, "operation": job.operation.rawValue, "model": job.model.id, "prompt": job.prompt]
        for (k, v) in job.parameters { c["param:\(k)"] = v }
        for (n, input) in job.inputs.enumerated() { c["input:\(n):\(input.role.rawValue):\(input.node)"] = input.sha256 }
        return c
    }

    func cacheKey(_ components: [String: String]) -> String {
        Digest.sha256("sceneflow-cache-v1\n" + components.keys.sorted().map { "\($0)=\(components[$0]!)" }.joined(separator: "\n"))
    }

    // MARK: Executing a job (in a child task)

    private enum JobOutcome: Sendable {
        case succeeded(StoredOutput, attempts: Int)
        /// Made by a concurrent run of the same batch while this one waited.
        case reused(StoredOutput)
        case failed(GenerationError, attempts: Int)
        case cancelled(attempts: Int)
    }

    private func execute(_ job: Job, key: String, generator: Generator) async -> JobOutcome {
        if let coalescer = options.coalescer {
            guard await coalescer.lead(key) else {
                // Another run made (or failed to make) the same output meanwhile.
                if let made = store.lookup(key) { return .reused(made) }
                return await execute(job, key: key, generator: generator)
            }
            let outcome = await limited(job, key: key, generator: generator)
            await coalescer.finish(key)
            return outcome
        }
        return await limited(job, key: key, generator: generator)
    }

    private func limited(_ job: Job, key: String, generator: Generator) async -> JobOutcome {
        // A job holds its shared slot through its retries, as it holds its run's slot.
        if let limiter = options.sharedLimiter {
            await limiter.acquire(job.model.provider)
            let outcome = await attempts(job, key: key, generator: generator)
            await limiter.release(job.model.provider)
            return outcome
        }
        return await attempts(job, key: key, generator: generator)
    }

    private func attempts(_ job: Job, key: String, generator: Generator) async -> JobOutcome {
        var attempt = 1
        let begin = Date()
        while true {
            if Task.isCancelled { return .cancelled(attempts: attempt - 1) }
            var current = job
            current.attempt = attempt
            events(.started(node: job.node, attempt: attempt, provider: job.model.provider))
            do {
                if options.scratchFolders { try FileManager.default.createDirectory(at: current.scratch, withIntermediateDirectories: true) }
                defer { if options.scratchFolders { try? FileManager.default.removeItem(at: current.scratch) } }
                let output = try await generator.generate(current)
                let metadata = OutputMetadata(key: key, node: job.node, model: job.model.id, provider: output.provider.rawValue,
                                              requestID: output.requestID, cost: output.cost,
                                              sha256: try output.sha256 ?? Digest.sha256(fileAt: output.file),
                                              fileExtension: output.file.pathExtension.isEmpty ? "bin" : output.file.pathExtension,
                                              createdAt: Date())
                let stored = try store.store(key, file: output.file, metadata: metadata)
                job.journal.clear()
                events(.finished(node: job.node, status: .succeeded, seconds: Date().timeIntervalSince(begin)))
                return .succeeded(stored, attempts: attempt)
            } catch is CancellationError {
                return .cancelled(attempts: attempt)
            } catch {
                if Task.isCancelled { return .cancelled(attempts: attempt) }
                let failure = (error as? GenerationError)
                    ?? GenerationError(.permanent, provider: job.model.provider, message: Redaction.redact("\(error)"))
                guard let delay = options.retry.delay(after: failure, attempt: attempt) else {
                    events(.failed(node: job.node, error: failure.description, attempts: attempt))
                    return .failed(failure, attempts: attempt)
                }
                events(.retrying(node: job.node, attempt: attempt + 1, delay: delay, error: failure.description))
                do { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) } catch { return .cancelled(attempts: attempt) }
                attempt += 1
            }
        }
    }

    // MARK: Recording results

    private func finish(_ i: Int, _ outcome: JobOutcome) {
        switch outcome {
        case .succeeded(let stored, let attempts):
            adopt(i, stored)
            records[i].attempts = attempts
            records[i].requestID = stored.metadata.requestID
            records[i].cost = stored.metadata.cost
            // Providers that report no price (fal's queue API, Gemini, Veo): the planner's estimate, marked.
            if stored.metadata.cost == nil, stored.metadata.provider != Provider.local.rawValue,
               let model = graph.model(of: i, registry: registry, offline: options.offline) {
                records[i].cost = graph.estimate(of: i, model: model).cost
                records[i].costEstimated = true
            }
            setDone(i, .succeeded, reason: records[i].reason)
            rememberKey(i, stored: stored)
        case .failed(let error, let attempts):
            setFailed(i, message: error.description, attempts: attempts)
        case .reused(let stored):
            adopt(i, stored)
            setDone(i, .cached, reason: "cached: made by another run of this batch")
        case .cancelled(let attempts):
            status[i] = .skipped
            records[i].status = .skipped
            records[i].attempts = attempts
            records[i].error = "cancelled"
            records[i].finishedAt = Date()
        }
    }

    /// Takes a cached or new output as node `i`'s, linked into the run folder.
    private func adopt(_ i: Int, _ stored: StoredOutput) {
        outputs[i] = [FileRef(url: stored.url, sha256: stored.metadata.sha256)]
        records[i].sha256 = stored.metadata.sha256
        records[i].requestID = stored.metadata.requestID
        guard let runFolder else { records[i].output = stored.url.path; return }
        let name = graph.nodes[i].kind == .final ? "final.\(stored.metadata.fileExtension)" : "\(graph.nodes[i].id).\(stored.metadata.fileExtension)"
        let target = runFolder.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: target)
        if link(stored.url.path, target.path) != 0 {
            try? FileManager.default.copyItem(at: stored.url, to: target)
        }
        records[i].output = name
    }

    private func setDone(_ i: Int, _ s: NodeStatus, reason: String?) {
        status[i] = s
        records[i].status = s
        records[i].reason = reason
        records[i].finishedAt = Date()
    }

    private func setFailed(_ i: Int, message: String, attempts: Int) {
        status[i] = .failed
        records[i].status = .failed
        records[i].attempts = attempts
        records[i].error = Redaction.redact(message)
        records[i].finishedAt = Date()
    }

    // MARK: Explaining why a node ran

    private func indexFile(_ i: Int) -> URL? {
        workspace?.indexDirectory.appendingPathComponent("\(template.id?.value ?? "template")/\(graph.nodes[i].id).json")
    }

    /// Compares this job with the last one made for the same node of the same template.
    private func explainMiss(_ i: Int, key: String, current: [String: String]) -> String {
        guard let file = indexFile(i), let data = FileManager.default.contents(atPath: file.path),
              let previous = try? JSONDecoder().decode([String: String].self, from: data) else {
            return "no earlier output for this node"
        }
        if previous["key"] == key { return "the earlier output is no longer in the cache" }
        var changes: [String] = []
        for name in Set(current.keys).union(previous.keys).sorted() where name != "key" && current[name] != previous[name] {
            if name.hasPrefix("input:") {
                let node = name.split(separator: ":").last.map(String.init) ?? name
                changes.append("input \(node) changed")
            } else if name.hasPrefix("param:") {
                changes.append("\(name.dropFirst(6)) changed (\(previous[name] ?? "unset") → \(current[name] ?? "unset"))")
            } else if name == "prompt" {
                changes.append("prompt changed")
            } else {
                changes.append("\(name) changed (\(previous[name] ?? "unset") → \(current[name] ?? "unset"))")
            }
        }
        return changes.isEmpty ? "no earlier output for this node" : Array(Set(changes)).sorted().joined(separator: "; ")
    }

    private func rememberKey(_ i: Int, stored: StoredOutput) {
        guard let file = indexFile(i), let key = records[i].cacheKey, var entry = components.removeValue(forKey: i) else { return }
        entry["key"] = key
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try? AtomicFile.write(try encoder.encode(entry), to: file)
    }

    // MARK: Reports

    private func makeReport(cancelled: Bool, finished: Bool) -> RunReport {
        let generation = graph.nodes.indices.filter { graph.nodes[$0].generates }
        let done = generation.filter { status[$0].isDone }.count
        let runStatus: RunReport.Status
        if !finished { runStatus = .running }
        else if cancelled { runStatus = .cancelled }
        else if done == generation.count { runStatus = .succeeded }
        else if done == 0 || options.failFast { runStatus = .failed }
        else { runStatus = .partial }
        let final = graph.indexByID["final.video"].flatMap { status[$0].isDone ? records[$0].output : nil }
        return RunReport(runID: runID,
                         template: .init(id: template.id?.value ?? "", sha256: Digest.sha256(Data(loaded.bytes)), path: loaded.path),
                         status: runStatus, startedAt: startedAt, finishedAt: finished ? Date() : nil, offline: options.offline,
                         productID: inputs.productID, finalVideo: final,
                         cost: records.reduce(0) { $0 + ($1.status == .succeeded ? ($1.cost ?? 0) : 0) }, nodes: records)
    }

    private func writeReportIfDue() {
        guard runFolder != nil, Date().timeIntervalSince(lastReportWrite) >= options.reportInterval else { return }
        lastReportWrite = Date()
        writeReport(makeReport(cancelled: false, finished: false))
    }

    private func writeReport(_ report: RunReport) {
        guard let runFolder, let data = try? report.encoded() else { return }
        try? AtomicFile.write(data, to: runFolder.appendingPathComponent("run.json"))
    }

    /// `timeline.json`: the edit list of the final cut (clip files, in/out points, audio), for an
    /// editor such as Remotion.
    private func writeTimeline() {
        guard let runFolder else { return }
        struct Clip: Encodable {
            var scene: String; var file: String?; var start: Double; var end: Double; var inPoint: Double; var outPoint: Double
            var audio: String?; var speaking: Bool
            enum CodingKeys: String, CodingKey { case scene, file, start, end, audio, speaking; case inPoint = "in"; case outPoint = "out" }
        }
        struct Timeline: Encodable { var template: String; var aspect_ratio: String; var duration: Double; var clips: [Clip] }
        var clips: [Clip] = []
        var t = 0.0
        for scene in template.scenes {
            guard let id = scene.id?.value, let video = graph.indexByID["\(id).video"] else { continue }
            let audio = graph.indexByID["\(id).audio"].flatMap { records[$0].output }
            clips.append(Clip(scene: id, file: records[video].output, start: t, end: t + scene.duration, inPoint: 0,
                              outPoint: scene.duration, audio: audio, speaking: scene.isSpeaking))
            t += scene.duration
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(Timeline(template: template.id?.value ?? "", aspect_ratio: template.aspectRatio.rawValue, duration: t, clips: clips)) {
            try? AtomicFile.write(data, to: runFolder.appendingPathComponent("timeline.json"))
        }
    }
}

/// A failure of the run machinery itself (not of a generator).
public struct RunError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Removes secrets from text that may reach a log, a report or an error message: the values
/// of the provider key variables, and anything shaped like a key in a URL or header.
public enum Redaction {
    public static let keyVariables = ["FAL_KEY", "GEMINI_API_KEY", "ELEVENLABS_API_KEY"]

    public static func redact(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var result = text
        for name in keyVariables {
            if let value = environment[name], value.count >= 4 {
                result = result.replacingOccurrences(of: value, with: "[\(name)]")
            }
        }
        for pattern in [#"(?i)(key=)[^&\s"]+"#, #"(?i)(x-goog-api-key:\s*)\S+"#, #"(?i)(xi-api-key:\s*)\S+"#, #"(?i)(authorization:\s*key\s+)\S+"#] {
            result = result.replacingOccurrences(of: pattern, with: "$1[redacted]", options: .regularExpression)
        }
        return result
    }
}
