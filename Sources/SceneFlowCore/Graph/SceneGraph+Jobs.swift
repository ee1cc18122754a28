extension SceneGraph {
    /// The job kind a node runs, or `nil` for inputs and reused frames (which generate nothing).
    public func jobKind(of index: Int) -> JobKind? {
        let node = nodes[index]
        switch node.operation {
        case .input, .reuse: return nil
        case .generate: return node.kind == .lastFrame ? .lastFrame : .firstFrame
        case .cameraAngle: return .cameraAngle
        case .speech: return .audio
        case .clip: return .video
        case .combine: return .combine
        }
    }

    /// The model a node runs on: the template's choice, or the local engine's with `offline`.
    public func model(of index: Int, registry: ModelRegistry = .standard, offline: Bool = false) -> ModelInfo? {
        guard let kind = jobKind(of: index) else { return nil }
        if offline { return registry.offlineModel(for: kind) }
        return nodes[index].model.flatMap { registry[$0] }
    }

    /// The models every generation node runs on (what keys and tools a run needs).
    public func models(registry: ModelRegistry = .standard, offline: Bool = false) -> [(node: String, model: ModelInfo)] {
        nodes.indices.compactMap { i in model(of: i, registry: registry, offline: offline).map { (nodes[i].id, $0) } }
    }

    /// Estimated seconds and USD of one node's job on `model`.
    public func estimate(of index: Int, model: ModelInfo?) -> (seconds: Double, cost: Double) {
        guard let model else { return (0, 0) }
        let clip = nodes[index].clipSeconds ?? 0, characters = nodes[index].characters ?? 0
        if nodes[index].kind == .final {
            // Cutting scales with the final video's length.
            let total = nodes.reduce(0.0) { $0 + ($1.kind == .video ? ($1.clipSeconds ?? 0) : 0) }
            return (model.latencyFixed + 0.05 * total, 0)
        }
        return (model.estimatedSeconds(clipSeconds: clip, characters: characters), model.estimatedCost(clipSeconds: clip, characters: characters))
    }
}
