import Foundation
import SceneFlowTemplate

/// A file a node made or was given, with its digest.
public struct FileRef: Sendable, Hashable {
    public var url: URL
    public var sha256: String
    /// For a voice-over, when each word is said, where its generator reported it.
    public var words: [TimedWord]?

    public init(url: URL, sha256: String, words: [TimedWord]? = nil) {
        self.url = url
        self.sha256 = sha256
        self.words = words
    }

    /// The file of a cached output.
    public init(_ stored: StoredOutput) {
        self.init(url: stored.url, sha256: stored.metadata.sha256, words: stored.metadata.words)
    }
}

/// Builds a node's typed job from the graph alone (the scene's facts, the node's model and
/// frame spec) and the files its inputs made. Pure: the same graph and files give the same
/// job and cache key, so `plan` can predict what a run would reuse.
public struct JobBuilder: Sendable {
    public let graph: SceneGraph
    public let registry: ModelRegistry
    /// Every job on the local engine (`--offline`).
    public var offline: Bool
    /// The local engine's short side, and the frame every clip is conformed to.
    public var resolution: Int
    /// How the final cut is finished.
    public var finishing = Finishing()
    /// The run the jobs are for (named in the final cut's metadata; never in a cache key).
    public var runID: String?

    /// The model each node runs on, resolved once (nil for inputs and reused frames).
    public let models: [ModelInfo?]

    public init(graph: SceneGraph, registry: ModelRegistry = .standard, offline: Bool = false, resolution: Int = 720) {
        self.graph = graph
        self.registry = registry
        self.offline = offline
        self.resolution = resolution
        models = graph.nodes.indices.map { graph.model(of: $0, registry: registry, offline: offline) }
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case unknownModel(String)
        case missingInput(String)
        public var description: String {
            switch self {
            case .unknownModel(let id): return "unknown model \(id)"
            case .missingInput(let what): return what
            }
        }
    }

    /// The job of generation node `node`. `files(i)` gives what node `i` made (for a reused
    /// frame, its source's image).
    public func job(for node: Int, files: (Int) -> [FileRef], take: Int = 1, scratch: URL) throws(Failure) -> Job {
        let n = graph.nodes[node]
        guard let kind = n.job else { throw .missingInput("\(n.id) generates nothing") }
        guard let model = models[node] else { throw .unknownModel(n.model ?? "?") }
        var inputs: [Job.Input] = []
        for (from, role) in graph.incoming[node] {
            for file in files(from) {
                inputs.append(Job.Input(role: role, node: graph.nodes[from].id, file: file.url, sha256: file.sha256))
            }
        }
        let scene = graph.scene(of: node)
        let prompt = PromptBuilder.prompt(for: n, scene: scene, images: inputs.map(\.role), aspectRatio: graph.aspectRatio)
        func one(_ role: EdgeType) -> Job.Input? { inputs.first { $0.role == role } }
        let work: Job.Work
        switch kind {
        case .firstFrame, .lastFrame, .cameraAngle:
            let caption: String
            switch kind {
            case .lastFrame: caption = "END · " + (n.framePrompt ?? scene?.prompt ?? n.id)
            case .cameraAngle: caption = "CAMERA · " + (n.camera ?? "")
            default: caption = [n.framePrompt, scene?.prompt].compactMap { $0 }.first { !$0.isEmpty } ?? n.id
            }
            work = .frame(FrameWork(kind: kind, prompt: prompt, aspectRatio: graph.aspectRatio, images: inputs, camera: n.camera,
                                    caption: caption, resolution: resolution))
        case .audio:
            work = .speech(SpeechWork(text: scene?.dialogue ?? "", voice: scene?.voice, seconds: scene?.seconds ?? 5))
        case .video:
            guard let first = one(.firstFrame) else { throw .missingInput("\(n.id) has no first frame") }
            work = .clip(ClipWork(prompt: prompt, aspectRatio: graph.aspectRatio, seconds: n.clipSeconds ?? 5, first: first,
                                  last: one(.lastFrame), voiceOver: one(.audio), productVideos: inputs.filter { $0.role == .productVideo },
                                  resolution: resolution))
        case .combine:
            var cut = CutWork(clips: inputs.filter { $0.role == .clip }, aspectRatio: graph.aspectRatio, resolution: resolution)
            cut.seconds = graph.scenes.reduce(0) { $0 + $1.seconds }
            cut.burnedCaptions = finishing.burnCaptions ? Captions.cues(graph.scenes, words: spokenWords(files: files)) : []
            cut.music = finishing.music
            cut.metadata = finishing.provenance
            cut.runID = runID
            work = .cut(cut)
        }
        return Job(node: n.id, model: model, work: work, take: take, scratch: scratch)
    }

    /// By scene id, when each word of its voice-over is said, for the voice-overs whose
    /// generator reported it (`files(i)` as for `job(for:files:)`).
    public func spokenWords(files: (Int) -> [FileRef]) -> [String: [TimedWord]] {
        var words: [String: [TimedWord]] = [:]
        for (i, node) in graph.nodes.enumerated() where node.job == .audio {
            guard let scene = graph.scene(of: i), let timed = files(i).first?.words else { continue }
            words[scene.id] = timed
        }
        return words
    }
}
