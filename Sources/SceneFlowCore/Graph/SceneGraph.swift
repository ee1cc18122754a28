/// The resolved, typed dependency graph of a template (template-v1 "The graph a template makes").
///
/// Node indices are assigned in a fixed order: inputs in declaration order, then each scene's
/// `first_frame`, `last_frame`, `audio`, `video` in playback order, then `final.video`. Every
/// algorithm breaks ties by index, so orders, waves and diagrams follow scene order and are
/// identical from run to run.
public struct SceneGraph: Sendable {
    public enum NodeKind: String, Sendable, Codable {
        case avatar, background, asset
        case firstFrame = "first_frame"
        case lastFrame = "last_frame"
        case audio, video
        case final
    }

    /// What a node does when it runs.
    public enum Operation: String, Sendable, Codable {
        /// A file the user supplies (avatar, background, product asset): nothing to generate.
        case input
        /// An image-edit model composes the frame.
        case generate
        /// The very same image as another frame (`first_frame_of`, `last_frame_of`).
        case reuse
        /// An edit of another frame from a new camera.
        case cameraAngle = "camera_angle"
        case speech
        case clip
        case combine
    }

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

    public struct Node: Sendable, Identifiable {
        /// `hook.first_frame`, `avatar:maya`, `final.video`.
        public var id: String
        public var kind: NodeKind
        public var operation: Operation
        /// The scene id for per-scene nodes.
        public var scene: String?
        public var sceneIndex: Int?
        /// The model for generation nodes (`generate`, `camera_angle`, `speech`, `clip`, `combine`).
        public var model: String?
        /// For inputs: the file or URL as written (avatars, backgrounds) or the slot's asset key.
        public var input: String?
        /// For assets: the slot type.
        public var slotType: SlotType?
        /// For camera angles: the camera description.
        public var camera: String?
        /// For clips: the clip length; for speech: the dialogue length. Drive time and cost estimates.
        public var clipSeconds: Double?
        public var characters: Int?

        public var generates: Bool { operation != .input && operation != .reuse }
    }

    public struct Edge: Sendable, Hashable {
        public var from: Int
        public var to: Int
        public var type: EdgeType
    }

    public private(set) var nodes: [Node] = []
    public private(set) var edges: [Edge] = []
    public private(set) var successors: [[Int]] = []
    public private(set) var predecessors: [[Int]] = []
    public private(set) var indexByID: [String: Int] = [:]
    public let aspectRatio: AspectRatio

    public subscript(id: String) -> Node? { indexByID[id].map { nodes[$0] } }

    /// Builds the graph. References that do not resolve (unknown ids, a `last_frame_of` a scene
    /// without one) are left out: validation reports them, and the graph stays drawable.
    public init(template: Template, registry: ModelRegistry = .standard) {
        aspectRatio = template.aspectRatio
        let expectedNodes = template.avatars.count + template.backgrounds.count + template.slots.count + template.scenes.count * 4 + 1
        nodes.reserveCapacity(expectedNodes)
        successors.reserveCapacity(expectedNodes)
        predecessors.reserveCapacity(expectedNodes)
        indexByID.reserveCapacity(expectedNodes)
        edges.reserveCapacity(template.scenes.count * 8)
        var avatarNode: [String: Int] = [:]
        var backgroundNode: [String: Int] = [:]
        var assetNode: [String: (Int, SlotType)] = [:]

        for avatar in template.avatars {
            guard let id = avatar.id?.value, avatarNode[id] == nil else { continue }
            avatarNode[id] = add(Node(id: "avatar:\(id)", kind: .avatar, operation: .input, input: avatar.image?.value))
        }
        for background in template.backgrounds {
            guard let id = background.id?.value, backgroundNode[id] == nil else { continue }
            backgroundNode[id] = add(Node(id: "background:\(id)", kind: .background, operation: .input, input: background.image?.value))
        }
        for slot in template.slots {
            guard let key = slot.assetKey?.value, assetNode[key] == nil, let type = slot.type?.value else { continue }
            assetNode[key] = (add(Node(id: "asset:\(key)", kind: .asset, operation: .input, input: key, slotType: type)), type)
        }

        // Scene nodes first, so that a frame can refer to any scene's frames (before or after it).
        var sceneNodes: [(first: Int, last: Int?, audio: Int?, video: Int)?] = []
        var sceneByID: [String: Int] = [:]
        for scene in template.scenes {
            guard let sid = scene.id?.value, sceneByID[sid] == nil else { sceneNodes.append(nil); continue }
            sceneByID[sid] = scene.index
            let first = add(Node(id: "\(sid).first_frame", kind: .firstFrame, operation: .generate, scene: sid, sceneIndex: scene.index))
            let last = scene.lastFrame.map { _ in add(Node(id: "\(sid).last_frame", kind: .lastFrame, operation: .generate, scene: sid, sceneIndex: scene.index)) }
            let audio = scene.isSpeaking ? add(Node(id: "\(sid).audio", kind: .audio, operation: .speech, scene: sid, sceneIndex: scene.index,
                                                    model: template.modelChoice(.audio, scene: scene).id,
                                                    characters: scene.dialogue?.value.count ?? 0)) : nil
            let video = add(Node(id: "\(sid).video", kind: .video, operation: .clip, scene: sid, sceneIndex: scene.index,
                                 model: template.modelChoice(.video, scene: scene).id, clipSeconds: scene.duration))
            sceneNodes.append((first, last, audio, video))
        }
        let final = add(Node(id: "final.video", kind: .final, operation: .combine, model: ModelRegistry.defaultModelIDs[.combine]))

        for scene in template.scenes {
            guard let own = sceneNodes[scene.index] else { continue }
            // Two frames at most: index 0 is the first frame, 1 the declared last frame.
            for frameIndex in 0..<(scene.lastFrame == nil ? 1 : 2) {
                let isLast = frameIndex == 1
                let spec = isLast ? scene.lastFrame! : scene.firstFrameSpec
                let node = isLast ? own.last! : own.first
                let path = isLast ? "\(scene.path).last_frame" : "\(scene.path).first_frame"
                func target() -> (Scene, (first: Int, last: Int?, audio: Int?, video: Int))? {
                    guard let id = spec.scene?.value, let index = sceneByID[id], let nodes = sceneNodes[index] else { return nil }
                    return (template.scenes[index], nodes)
                }
                switch spec.source {
                case .generate:
                    let kind: JobKind = isLast ? .lastFrame : .firstFrame
                    nodes[node].model = template.modelChoice(kind, scene: scene, frame: (spec, path)).id
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
                    nodes[node].operation = .reuse
                    if let (_, t) = target() { connect(t.first, node, .reuse) }
                case .lastFrameOf:
                    nodes[node].operation = .reuse
                    if let (_, t) = target(), let last = t.last { connect(last, node, .continuity) }
                case .cameraAngle:
                    nodes[node].operation = .cameraAngle
                    nodes[node].model = template.modelChoice(.cameraAngle, scene: scene, frame: (spec, path)).id
                    nodes[node].camera = spec.camera?.value
                    if let (_, t) = target() {
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
    }

    private mutating func add(_ node: Node) -> Int {
        nodes.append(node)
        successors.append([])
        predecessors.append([])
        indexByID[node.id] = nodes.count - 1
        return nodes.count - 1
    }

    private mutating func connect(_ from: Int, _ to: Int, _ type: EdgeType) {
        edges.append(Edge(from: from, to: to, type: type))
        successors[from].append(to)
        predecessors[to].append(from)
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
}

extension SceneGraph {
    /// Estimated seconds of one node's job by its model (inputs and reuses take no time).
    public func estimatedSeconds(of index: Int, registry: ModelRegistry = .standard) -> Double {
        guard nodes[index].generates, let id = nodes[index].model, let model = registry[id] else { return 0 }
        return model.estimatedSeconds(clipSeconds: nodes[index].clipSeconds ?? 0, characters: nodes[index].characters ?? 0)
    }

    /// The critical path by the registry's estimated latencies. O(V + E).
    public func criticalPath(order: [Int], registry: ModelRegistry = .standard) -> (length: Double, path: [Int], remaining: [Double]) {
        GraphAlgorithms.criticalPath(order: order, count: nodes.count, weight: { estimatedSeconds(of: $0, registry: registry) }) { successors[$0] }
    }
}
