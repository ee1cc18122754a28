/// Which model a job uses, and where that choice was written (for diagnostics).
///
/// Precedence: the frame spec's or scene's own `model`, then the template's `models` default for
/// the job kind, then the registry default. The graph, validation and scheduler all ask here, so
/// they cannot disagree.
public struct ModelChoice: Sendable, Hashable {
    public var id: String
    /// Where the user wrote it; `.none` for the registry default.
    public var anchor: SourceAnchor
    public var path: String
    /// The user named this model (as opposed to the registry default).
    public var isExplicit: Bool { !path.isEmpty }
}

extension Template {
    /// - Parameter frame: for frame jobs, the spec and whether it is the scene's `last_frame`.
    ///
    /// Paths are only spelled out for a model the user wrote (this runs for every job of a
    /// 100,000-scene template, and most jobs use a default).
    public func modelChoice(_ kind: JobKind, scene: Scene, frame: (spec: FrameSpec, isLast: Bool)? = nil) -> ModelChoice {
        switch kind {
        case .firstFrame, .lastFrame, .cameraAngle:
            if let model = frame?.spec.model {
                return ModelChoice(id: model.value, anchor: model.anchor, path: "\(scene.path).\(frame!.isLast ? "last_frame" : "first_frame").model")
            }
        case .audio:
            if let model = scene.audioModel { return ModelChoice(id: model.value, anchor: model.anchor, path: "\(scene.path).audio.model") }
        case .video:
            if let model = scene.videoModel { return ModelChoice(id: model.value, anchor: model.anchor, path: "\(scene.path).video.model") }
        case .combine:
            break
        }
        if let model = models[kind] { return ModelChoice(id: model.value, anchor: model.anchor, path: "models.\(kind.rawValue)") }
        return ModelChoice(id: ModelRegistry.defaultModelIDs[kind]!, anchor: .none, path: "")
    }
}
