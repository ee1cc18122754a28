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
    /// - Parameter frame: for frame jobs, the spec and its JSON path (`scenes[0].last_frame`).
    public func modelChoice(_ kind: JobKind, scene: Scene, frame: (spec: FrameSpec, path: String)? = nil) -> ModelChoice {
        let own: (Located<String>?, String)
        switch kind {
        case .firstFrame, .lastFrame, .cameraAngle:
            own = (frame?.spec.model, "\(frame?.path ?? scene.path).model")
        case .audio: own = (scene.audioModel, "\(scene.path).audio.model")
        case .video: own = (scene.videoModel, "\(scene.path).video.model")
        case .combine: own = (nil, "")
        }
        if let model = own.0 { return ModelChoice(id: model.value, anchor: model.anchor, path: own.1) }
        if let model = models[kind] { return ModelChoice(id: model.value, anchor: model.anchor, path: "models.\(kind.rawValue)") }
        return ModelChoice(id: ModelRegistry.defaultModelIDs[kind]!, anchor: .none, path: "")
    }
}
