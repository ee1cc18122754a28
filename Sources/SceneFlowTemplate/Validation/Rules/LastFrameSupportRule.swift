/// A scene's last frame only matters if its video model can end on it; and first+last-frame
/// models cannot run without one.
struct LastFrameSupportRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.lastFrameIgnored, .lastFrameRequired]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            let choice = context.template.modelChoice(.video, scene: scene)
            guard let model = context.usableModel(choice, for: .video) else { continue }
            let name = scene.id?.value ?? "#\(scene.index)"
            if let last = scene.lastFrame, !model.acceptsLastFrame {
                findings.warning(.lastFrameIgnored,
                                 "scene \"\(name)\" declares a last_frame, but \(model.id) cannot end a clip on a given frame; the clip will not use it",
                                 path: "\(scene.path).last_frame", at: last.anchor,
                                 suggestion: "use a model that takes start and end frames (e.g. fal-ai/kling-video/v2.6/pro/image-to-video)")
            }
            if scene.lastFrame == nil, model.requiresLastFrame {
                findings.error(.lastFrameRequired,
                               "scene \"\(name)\" uses \(model.id), which interpolates between a first and a last frame, but declares no last_frame",
                               path: choice.isExplicit ? choice.path : "\(scene.path)", at: choice.isExplicit ? choice.anchor : scene.anchor,
                               suggestion: "add a \"last_frame\", or use an image-to-video model")
            }
        }
    }
}
