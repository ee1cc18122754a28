import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// What a run records as it goes: one `RunReport.Node` per graph node, the report itself
/// (`run.json`, rewritten while the run goes on), the edit list (`timeline.json`), and the
/// explain index (each node's last cache key and its components, for `sceneflow explain`).
/// A value owned by the task that drives the run.
public struct RunRecorder: Sendable {
    public let runID: String
    public let template: RunReport.TemplateRef
    public let graph: SceneGraph
    public let folder: RunFolder?
    /// `index/<template>/` in the workspace, or nil for a run without one.
    public let indexDirectory: URL?
    public var simulated = false
    public var offline = false
    public var productID: String?
    public let startedAt: Date
    public private(set) var nodes: [RunReport.Node]
    public var stopReason: String?
    /// The first write that failed: the run cannot claim success when its files are not there.
    public private(set) var writeFailure: String?

    public init(runID: String, template: RunReport.TemplateRef, graph: SceneGraph, folder: RunFolder?, indexDirectory: URL?, startedAt: Date = Date()) {
        self.runID = runID
        self.template = template
        self.graph = graph
        self.folder = folder
        self.indexDirectory = indexDirectory
        self.startedAt = startedAt
        nodes = graph.nodes.indices.map { i in
            var node = RunReport.Node(id: graph.nodes[i].id, kind: graph.nodes[i].kind, job: graph.nodes[i].job)
            let reads = graph.predecessors[i].map { graph.nodes[$0].id }
            node.reads = reads.isEmpty ? nil : reads
            return node
        }
    }

    public subscript(i: Int) -> RunReport.Node {
        get { nodes[i] }
        // In place: a node is a large value, set field by field on the scheduler's path.
        _modify { yield &nodes[i] }
    }

    // MARK: Outcomes

    /// The node has `files` ready (an input, a reused frame, a cache hit or a new output).
    public mutating func done(_ i: Int, _ status: NodeStatus, reason: String?, at time: Date = Date()) {
        nodes[i].status = status
        nodes[i].reason = reason
        nodes[i].finishedAt = time
        if nodes[i].startedAt == nil { nodes[i].startedAt = time }
    }

    /// How taking a stored output went.
    public enum Adoption: Sendable {
        case delivered
        /// The cached file does not hash to its record: nothing was taken (quarantine it, make it again).
        case damaged(String)
        /// It could not be written to the run folder: the node has failed.
        case failed
    }

    /// Takes a stored output as node `i`'s, delivered into the run folder as `<node id>.<ext>`
    /// (the final cut as `final.<ext>`), hashed as it is copied: the report's digest is that of
    /// the file delivered.
    @discardableResult
    public mutating func adopt(_ i: Int, _ stored: StoredOutput) -> Adoption {
        guard let folder else {
            nodes[i].sha256 = stored.metadata.sha256
            nodes[i].requestID = stored.metadata.requestID
            return .delivered
        }
        let name = graph.nodes[i].kind == .final ? "final.\(stored.metadata.fileExtension)" : "\(graph.nodes[i].id).\(stored.metadata.fileExtension)"
        do {
            nodes[i].sha256 = try folder.deliver(stored, as: name)
            nodes[i].requestID = stored.metadata.requestID
            nodes[i].output = name
            return .delivered
        } catch let mismatch as RunFolder.DeliveryMismatch {
            nodes[i].output = nil
            return .damaged(mismatch.description)
        } catch {
            nodes[i].output = nil
            fail(i, message: "the output could not be delivered to the run folder: \(error)", attempts: nodes[i].attempts)
            noteWriteFailure("\(error)")
            return .failed
        }
    }

    /// The same output as node `source` (a reused frame).
    public mutating func reuse(_ i: Int, of source: Int) {
        nodes[i].output = nodes[source].output
        nodes[i].sha256 = nodes[source].sha256
        nodes[i].source = graph.nodes[source].id
        done(i, .succeeded, reason: "the same image as \(graph.nodes[source].id)")
    }

    public mutating func fail(_ i: Int, message: String, attempts: Int, input: String? = nil, at time: Date = Date()) {
        nodes[i].status = .failed
        nodes[i].attempts = attempts
        nodes[i].input = input
        nodes[i].error = Redaction.redact(message)
        nodes[i].finishedAt = time
    }

    public mutating func block(_ i: Int, by failed: Int) {
        nodes[i].status = .blocked
        nodes[i].error = "blocked: \(graph.nodes[failed].id) \(nodes[failed].status == .blocked ? "was blocked" : "failed")"
    }

    public mutating func skip(_ i: Int, reason: String) {
        nodes[i].status = .skipped
        if nodes[i].error == nil { nodes[i].error = reason }
    }

    public mutating func noteWriteFailure(_ message: String) {
        if writeFailure == nil { writeFailure = message }
    }

    // MARK: The report

    public func report(finished: Bool, cancelled: Bool = false, failFast: Bool = false) -> RunReport {
        // Counted in place: a node is a large value, and a run can have 100,000 of them.
        var relevant = 0, done = 0
        for i in nodes.indices where nodes[i].job != nil {
            guard nodes[i].status != .skipped || nodes[i].error != RunRecorder.notATarget else { continue }
            relevant += 1
            if nodes[i].status.isDone { done += 1 }
        }
        let status: RunReport.Status
        if !finished { status = .running }
        else if cancelled { status = .cancelled }
        else if writeFailure != nil { status = .failed }
        else if done == relevant && stopReason == nil { status = .succeeded }
        else if done == 0 || failFast { status = .failed }
        else { status = .partial }
        let final = graph.indexByID["final.video"].flatMap { nodes[$0].status.isDone ? nodes[$0].output : nil }
        return RunReport(runID: runID, template: template, status: status, simulated: simulated, startedAt: startedAt,
                         finishedAt: finished ? Date() : nil, offline: offline, productID: productID, finalVideo: final,
                         stopReason: stopReason ?? writeFailure.map { "a file could not be written: \($0)" }, nodes: nodes)
    }

    /// Why a node outside a run's targets did not run.
    public static let notATarget = "skipped: not needed by this run's targets"

    /// Writes `run.json`; a failure is remembered and makes the run fail.
    public mutating func write(_ report: RunReport) {
        guard let folder else { return }
        do { try folder.write(try report.encoded(), as: "run.json") } catch {
            noteWriteFailure("\(error)")
        }
    }

    /// The edit of the final cut, once it is made: `timeline.json` (clip files, in/out points,
    /// audio), `final.otio` (OpenTimelineIO), and the captions of what is said (`captions.srt`,
    /// `captions.vtt`, and each speaking scene's as `<scene>.captions.srt`/`.vtt` from the
    /// scene's start; none when every scene is silent or `finishing` turns them off), timed by
    /// `words` where a voice-over's generator reported when each word is said.
    public mutating func writeTimeline(finishing: Finishing = Finishing(), words: [String: [TimedWord]] = [:]) {
        guard let folder else { return }
        let bed = finishing.music
        let cues = finishing.captionFiles ? Captions.cues(graph.scenes, words: words) : []
        do {
            // The music beside the cut, so the edit's references stay inside the run folder.
            var music: OTIOTimeline.Music?
            if let bed {
                let name = "music." + (bed.file.pathExtension.isEmpty ? "audio" : bed.file.pathExtension.lowercased())
                try FileCopy.copy(bed.file, to: try folder.file(name))
                music = OTIOTimeline.Music(file: name, seconds: bed.seconds)
            }
            try folder.write(try Timeline(graph: graph, nodes: nodes).encoded(), as: "timeline.json")
            try folder.write(try OTIOTimeline.encoded(OTIOTimeline.document(graph: graph, nodes: nodes, cues: cues, music: music, runID: runID)),
                             as: "final.otio")
            if !cues.isEmpty {
                try folder.write(Data(Captions.srt(cues).utf8), as: "captions.srt")
                try folder.write(Data(Captions.vtt(cues).utf8), as: "captions.vtt")
            }
            // Each speaking scene's own, timed from the scene's start, beside its clip.
            var offset = 0.0
            for scene in graph.scenes {
                defer { offset += scene.seconds }
                let own = cues.filter { $0.scene == scene.id }.map { Captions.Cue(scene: $0.scene, start: $0.start - offset, end: $0.end - offset, text: $0.text) }
                guard !own.isEmpty else { continue }
                try folder.write(Data(Captions.srt(own).utf8), as: "\(scene.id).captions.srt")
                try folder.write(Data(Captions.vtt(own).utf8), as: "\(scene.id).captions.vtt")
            }
        } catch {
            noteWriteFailure("\(error)")
        }
    }

    // MARK: The explain index

    private func indexFile(_ i: Int) -> URL? {
        indexDirectory?.appendingPathComponent("\(graph.nodes[i].id).json")
    }

    /// The components of the last job made for node `i` of this template, if any.
    public func previousComponents(_ i: Int) -> [String: String]? {
        guard let file = indexFile(i), let data = FileManager.default.contents(atPath: file.path) else { return nil }
        return try? JSONCoding.decoder.decode([String: String].self, from: data)
    }

    /// Why node `i` must run (its job is `job`, its key `key`): nothing before, or what changed
    /// since its last output.
    public func explainMiss(_ i: Int, key: CacheKey, job: Job) -> String {
        guard let previous = previousComponents(i) else { return "no earlier output for this node" }
        if previous["key"] == key.value { return "the earlier output is no longer in the cache" }
        let changes = CacheKey.changes(from: previous, to: CacheKey.components(of: job))
        return changes.isEmpty ? "no earlier output for this node" : changes.joined(separator: "; ")
    }

    /// Whether this run keeps an explain index.
    public var remembers: Bool { indexDirectory != nil }

    /// Remembers node `i`'s key and components (best effort: explain is advice, not state).
    public func remember(_ i: Int, key: CacheKey, components: [String: String]) {
        guard let file = indexFile(i) else { return }
        var entry = components
        entry["key"] = key.value
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let data = try? JSONCoding.compact.encode(entry) { try? AtomicFile.write(data, to: file) }
    }
}

/// `timeline.json`: the final cut as an edit list an editor such as Remotion can consume
/// (`inputProps`): each scene's clip file with its place in the cut and its in/out points, and
/// its voice-over file.
struct Timeline: Encodable {
    struct Clip: Encodable {
        var scene: String
        var file: String?
        var start: Double
        var end: Double
        var inPoint: Double
        var outPoint: Double
        var audio: String?
        var speaking: Bool
        enum CodingKeys: String, CodingKey { case scene, file, start, end, audio, speaking; case inPoint = "in"; case outPoint = "out" }
    }

    var template: String
    var aspectRatio: String
    var duration: Double
    var clips: [Clip]

    enum CodingKeys: String, CodingKey { case template, duration, clips; case aspectRatio = "aspect_ratio" }

    init(graph: SceneGraph, nodes: [RunReport.Node]) {
        var t = 0.0
        clips = graph.scenes.compactMap { scene in
            guard let video = graph.indexByID["\(scene.id).video"] else { return nil }
            let audio = graph.indexByID["\(scene.id).audio"].flatMap { nodes[$0].output }
            defer { t += scene.seconds }
            return Clip(scene: scene.id, file: nodes[video].output, start: t, end: t + scene.seconds, inPoint: 0, outPoint: scene.seconds,
                        audio: audio, speaking: scene.speaking)
        }
        template = graph.templateID
        aspectRatio = graph.aspectRatio.rawValue
        duration = t
    }

    func encoded() throws -> Data {
        try JSONCoding.pretty.encode(self)
    }
}
