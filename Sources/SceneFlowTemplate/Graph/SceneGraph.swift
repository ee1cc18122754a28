import SceneFlowBasics

/// What a node of the graph is (template-v1 "The graph a template makes"); it names the node's
/// id (`avatar:maya`, `hook.first_frame`, `final.video`).
public enum NodeKind: String, Sendable, Codable, CaseIterable {
    case avatar, background, asset
    case firstFrame = "first_frame"
    case lastFrame = "last_frame"
    case audio, video
    case final

    /// A file the user supplies: nothing to generate.
    public var isInput: Bool { self == .avatar || self == .background || self == .asset }
    public var isFrame: Bool { self == .firstFrame || self == .lastFrame }
}

/// Why one node feeds another: the edge types of template-v1, which diagrams draw differently
/// and which name an input's role in a job (`@Image1 is the product`).
public enum EdgeType: String, Sendable, Codable, CaseIterable {
    case avatar, background
    case productImage = "product_image"
    case productVideo = "product_video"
    case logo
    case referenceImage = "reference_image"
    case reuse, continuity
    case cameraAngle = "camera_angle"
    case firstFrame = "first_frame"
    case lastFrame = "last_frame"
    case audio, clip

    init(_ slot: SlotType) {
        switch slot {
        case .productImage: self = .productImage
        case .productVideo: self = .productVideo
        case .logo: self = .logo
        case .referenceImage: self = .referenceImage
        }
    }
}

/// One scene's resolved facts: what its jobs are made of, read from the template once.
public struct SceneFacts: Sendable {
    public var id: String
    public var index: Int
    public var prompt: String
    public var speaking: Bool
    /// The dialogue, only when the scene speaks (it never reaches a silent scene's prompts).
    public var dialogue: String?
    public var seconds: Double
    /// The scene's `audio.voice`, else its avatar's voice.
    public var voice: String?
    public var avatar: String?
}

/// The resolved, typed dependency graph of a template (template-v1 "The graph a template makes").
///
/// Node indices are assigned in a fixed order: inputs in declaration order, then each scene's
/// `first_frame`, `last_frame`, `audio`, `video` in playback order, then `final.video`. Every
/// algorithm breaks ties by index, so orders, waves and diagrams follow scene order and are
/// identical from run to run. Built once per template and shared by validation, plan, diagrams
/// and runs.
public struct SceneGraph: Sendable {
    /// One node. Laid out small (indices as 32-bit numbers, the one-byte fields together): a
    /// 100,000-scene template has 350,000 of them.
    public struct Node: Sendable, Identifiable {
        /// `hook.first_frame`, `avatar:maya`, `final.video`.
        public var id: String
        /// The scene id for per-scene nodes.
        public var scene: String?
        /// The model id for generation nodes, as the template chose it.
        public var model: String?
        /// For inputs: the file or URL as written (avatars, backgrounds) or the slot's asset key.
        public var input: String?
        /// For camera angles: the camera description.
        public var camera: String?
        /// For generated frames: the frame spec's own `prompt`.
        public var framePrompt: String?
        /// For clips: the clip length. Drives time and cost estimates.
        public var clipSeconds: Double?
        private var sceneNumber: Int32 = -1
        private var factsNumber: Int32 = -1
        private var characterCount: Int32 = -1
        public var kind: NodeKind
        /// The job a model runs for this node; `nil` for inputs and reused frames (`first_frame_of`,
        /// `last_frame_of`), which generate nothing.
        public var job: JobKind?
        /// For assets: the slot type.
        public var slotType: SlotType?

        init(id: String, kind: NodeKind, job: JobKind? = nil, sceneIndex: Int? = nil, factsIndex: Int? = nil, scene: String? = nil,
             model: String? = nil, input: String? = nil, slotType: SlotType? = nil) {
            self.id = id
            self.kind = kind
            self.job = job
            self.scene = scene
            self.model = model
            self.input = input
            self.slotType = slotType
            self.sceneIndex = sceneIndex
            self.factsIndex = factsIndex
        }

        /// The scene index for per-scene nodes (into the template's scenes).
        public var sceneIndex: Int? {
            get { sceneNumber < 0 ? nil : Int(sceneNumber) }
            set { sceneNumber = newValue.map { Int32(clamping: $0) } ?? -1 }
        }
        /// Into `scenes`, for per-scene nodes.
        var factsIndex: Int? {
            get { factsNumber < 0 ? nil : Int(factsNumber) }
            set { factsNumber = newValue.map { Int32(clamping: $0) } ?? -1 }
        }
        /// For speech: the dialogue's length in characters. Drives time and cost estimates.
        public var characters: Int? {
            get { characterCount < 0 ? nil : Int(characterCount) }
            set { characterCount = newValue.map { Int32(clamping: $0) } ?? -1 }
        }

        public var generates: Bool { job != nil }
        /// A frame that is the very same image as another (`first_frame_of`, `last_frame_of`).
        public var reuses: Bool { kind.isFrame && job == nil }
    }

    public struct Edge: Sendable, Hashable {
        public var from: Int
        public var to: Int
        public var type: EdgeType
    }

    public private(set) var nodes: [Node] = []
    public private(set) var edges: [Edge] = []
    public private(set) var successors = Adjacency<Int>([])
    public private(set) var predecessors = Adjacency<Int>([])
    /// Each node's inputs with their roles, in the order they were connected.
    public private(set) var incoming = Adjacency<(from: Int, type: EdgeType)>([])
    public private(set) var indexByID: [String: Int] = [:]
    /// Per scene, in playback order (only scenes with an id that could be read, once).
    public private(set) var scenes: [SceneFacts] = []
    /// Each scene's nodes (indices), by the scene's place in `scenes`.
    public private(set) var nodesOfScene: [[Int]] = []
    public let aspectRatio: AspectRatio
    public let templateID: String

    public subscript(id: String) -> Node? { indexByID[id].map { nodes[$0] } }

    /// The facts of the scene a node belongs to.
    public func scene(of node: Int) -> SceneFacts? {
        nodes[node].factsIndex.map { scenes[$0] }
    }

    private var sceneIndexByID: [String: Int] = [:]

    /// Builds the graph. References that do not resolve (unknown ids, a `last_frame_of` a scene
    /// without one) are left out: validation reports them, and the graph stays drawable.
    public init(template: Template, registry: ModelRegistry = .standard) {
        aspectRatio = template.aspectRatio
        templateID = template.id?.value ?? "template"
        let expectedNodes = template.avatars.count + template.backgrounds.count + template.slots.count + template.scenes.count * 4 + 1
        nodes.reserveCapacity(expectedNodes)
        indexByID.reserveCapacity(expectedNodes)
        edges.reserveCapacity(template.scenes.count * 8)
        var avatarNode: [String: Int] = [:]
        var avatarVoice: [String: String] = [:]
        var backgroundNode: [String: Int] = [:]
        var assetNode: [String: (Int, SlotType)] = [:]

        for avatar in template.avatars {
            guard let id = avatar.id?.value, avatarNode[id] == nil else { continue }
            avatarNode[id] = add(Node(id: "avatar:\(id)", kind: .avatar, input: avatar.image?.value))
            avatarVoice[id] = avatar.voice?.value
        }
        for background in template.backgrounds {
            guard let id = background.id?.value, backgroundNode[id] == nil else { continue }
            backgroundNode[id] = add(Node(id: "background:\(id)", kind: .background, input: background.image?.value))
        }
        for slot in template.slots {
            guard let key = slot.assetKey?.value, assetNode[key] == nil, let type = slot.type?.value else { continue }
            assetNode[key] = (add(Node(id: "asset:\(key)", kind: .asset, input: key, slotType: type)), type)
        }

        // Scene nodes first, so that a frame can refer to any scene's frames (before or after it).
        typealias Own = (first: Int, last: Int?, audio: Int?, video: Int)
        var sceneNodes: [Own?] = []
        sceneNodes.reserveCapacity(template.scenes.count)
        for scene in template.scenes {
            guard let sid = scene.id?.value, sceneIndexByID[sid] == nil else { sceneNodes.append(nil); continue }
            sceneIndexByID[sid] = scenes.count
            let dialogue = scene.isSpeaking ? scene.dialogue?.value : nil
            scenes.append(SceneFacts(id: sid, index: scene.index, prompt: scene.prompt?.value ?? "", speaking: scene.isSpeaking,
                                     dialogue: dialogue, seconds: scene.duration,
                                     voice: scene.audioVoice?.value ?? scene.avatar.flatMap { avatarVoice[$0.value] },
                                     avatar: scene.avatar?.value))
            let facts = scenes.count - 1
            func node(_ suffix: String, _ kind: NodeKind, job: JobKind?, model: String? = nil) -> Node {
                Node(id: "\(sid).\(suffix)", kind: kind, job: job, sceneIndex: scene.index, factsIndex: facts, scene: sid, model: model)
            }
            let first = add(node("first_frame", .firstFrame, job: .firstFrame))
            let last = scene.lastFrame.map { _ in add(node("last_frame", .lastFrame, job: .lastFrame)) }
            var audio: Int?
            if scene.isSpeaking {
                var speech = node("audio", .audio, job: .audio, model: template.modelChoice(.audio, scene: scene).id)
                speech.characters = dialogue?.count ?? 0
                audio = add(speech)
            }
            var clip = node("video", .video, job: .video, model: template.modelChoice(.video, scene: scene).id)
            clip.clipSeconds = scene.duration
            sceneNodes.append((first, last, audio, add(clip)))
        }
        let final = add(Node(id: "final.video", kind: .final, job: .combine, model: ModelRegistry.defaultModelIDs[.combine]))

        for scene in template.scenes {
            guard let own = sceneNodes[scene.index] else { continue }
            // Two frames at most: index 0 is the first frame, 1 the declared last frame.
            for frameIndex in 0..<(scene.lastFrame == nil ? 1 : 2) {
                let isLast = frameIndex == 1
                let spec = isLast ? scene.lastFrame! : scene.firstFrameSpec
                let node = isLast ? own.last! : own.first
                func target() -> Own? {
                    guard let id = spec.scene?.value, let index = sceneIndexByID[id] else { return nil }
                    return sceneNodes[scenes[index].index]
                }
                switch spec.source {
                case .generate:
                    let kind: JobKind = isLast ? .lastFrame : .firstFrame
                    nodes[node].model = template.modelChoice(kind, scene: scene, frame: (spec, isLast)).id
                    nodes[node].framePrompt = spec.prompt?.value
                    if isLast {
                        connect(own.first, node, .firstFrame)
                    } else {
                        if let a = scene.avatar?.value, let n = avatarNode[a] { connect(n, node, .avatar) }
                        if let b = scene.background?.value, let n = backgroundNode[b] { connect(n, node, .background) }
                    }
                    for key in scene.dependencies {
                        if let (n, type) = assetNode[key.value], type.isImage { connect(n, node, EdgeType(type)) }
                    }
                case .firstFrameOf:
                    nodes[node].job = nil
                    if let t = target() { connect(t.first, node, .reuse) }
                case .lastFrameOf:
                    nodes[node].job = nil
                    if let t = target(), let last = t.last { connect(last, node, .continuity) }
                case .cameraAngle:
                    nodes[node].job = .cameraAngle
                    nodes[node].model = template.modelChoice(.cameraAngle, scene: scene, frame: (spec, isLast)).id
                    nodes[node].camera = spec.camera?.value
                    if let t = target() {
                        if spec.frame?.value == .last {
                            if let last = t.last { connect(last, node, .cameraAngle) }
                        } else {
                            connect(t.first, node, .cameraAngle)
                        }
                    }
                }
            }
            connect(own.first, own.video, .firstFrame)
            if let last = own.last { connect(last, own.video, .lastFrame) }
            if let audio = own.audio { connect(audio, own.video, .audio) }
            for key in scene.dependencies {
                if let (n, type) = assetNode[key.value], type == .productVideo { connect(n, own.video, .productVideo) }
            }
            connect(own.video, final, .clip)
        }
        index()
    }

    private mutating func add(_ node: Node) -> Int {
        if let facts = node.factsIndex {
            while nodesOfScene.count <= facts { nodesOfScene.append([]) }
            nodesOfScene[facts].append(nodes.count)
        }
        nodes.append(node)
        indexByID[node.id] = nodes.count - 1
        return nodes.count - 1
    }

    private mutating func connect(_ from: Int, _ to: Int, _ type: EdgeType) {
        edges.append(Edge(from: from, to: to, type: type))
    }

    /// The per-node lists, from `edges` (in the order edges were added).
    private mutating func index() {
        successors = Adjacency(count: nodes.count, from: edges, node: \.from, element: \.to)
        predecessors = Adjacency(count: nodes.count, from: edges, node: \.to, element: \.from)
        incoming = Adjacency(count: nodes.count, from: edges, node: \.to, element: { (from: $0.from, type: $0.type) })
    }

    // MARK: Algorithms (see `GraphAlgorithms` for complexity)

    /// Topological order, ties by index (scene order); `nil` if the graph has a cycle.
    public func topologicalOrder() -> [Int]? {
        GraphAlgorithms.topologicalOrder(count: nodes.count) { successors[$0] }
    }

    /// Each cycle as node indices in data-flow order.
    public func cycles() -> [[Int]] {
        GraphAlgorithms.cycles(count: nodes.count) { successors[$0] }
    }

    /// `a -> b -> c -> a`.
    public func describeCycle(_ cycle: [Int]) -> String {
        (cycle + [cycle[0]]).map { nodes[$0].id }.joined(separator: " -> ")
    }

    /// Everything that must rerun when `node` changes.
    public func descendants(of node: Int) -> Set<Int> {
        GraphAlgorithms.reachable(from: [node], count: nodes.count) { successors[$0] }
    }

    /// Everything `node` is made from.
    public func ancestors(of node: Int) -> Set<Int> {
        GraphAlgorithms.reachable(from: [node], count: nodes.count) { predecessors[$0] }
    }

    /// The node a reused frame shows.
    public func source(ofReuse node: Int) -> Int? {
        nodes[node].reuses ? predecessors[node].first : nil
    }
}

extension SceneGraph {
    /// The model a node runs on: the template's choice, or the local engine's with `offline`.
    public func model(of index: Int, registry: ModelRegistry = .standard, offline: Bool = false) -> ModelInfo? {
        guard let kind = nodes[index].job else { return nil }
        if offline { return registry.offlineModel(for: kind) }
        return nodes[index].model.flatMap { registry[$0] }
    }

    /// The models every generation node runs on (what keys and tools a run needs).
    public func models(registry: ModelRegistry = .standard, offline: Bool = false) -> [(node: String, model: ModelInfo)] {
        nodes.indices.compactMap { i in model(of: i, registry: registry, offline: offline).map { (nodes[i].id, $0) } }
    }

    /// Estimated seconds and cost of one node's job on `model` (inputs and reuses take nothing).
    public func estimate(of index: Int, model: ModelInfo?) -> (seconds: Double, cost: Money) {
        guard let model else { return (0, .zero) }
        let clip = nodes[index].clipSeconds ?? 0, characters = nodes[index].characters ?? 0
        if nodes[index].kind == .final {
            // Cutting scales with the final video's length.
            return (model.latencyFixed + 0.05 * totalSeconds, .zero)
        }
        return (model.estimatedSeconds(clipSeconds: clip, characters: characters), model.estimatedCost(clipSeconds: clip, characters: characters))
    }

    /// The final cut's length: every scene's clip.
    public var totalSeconds: Double { scenes.reduce(0) { $0 + $1.seconds } }

    /// Estimated seconds of one node's job by the template's model.
    public func estimatedSeconds(of index: Int, registry: ModelRegistry = .standard) -> Double {
        estimate(of: index, model: model(of: index, registry: registry)).seconds
    }

    /// The critical path by the registry's estimated latencies. O(V + E).
    public func criticalPath(order: [Int], registry: ModelRegistry = .standard, offline: Bool = false) -> (length: Double, path: [Int], remaining: [Double]) {
        let weights = nodes.indices.map { estimate(of: $0, model: model(of: $0, registry: registry, offline: offline)).seconds }
        return GraphAlgorithms.criticalPath(order: order, count: nodes.count, weight: { weights[$0] }) { successors[$0] }
    }
}
