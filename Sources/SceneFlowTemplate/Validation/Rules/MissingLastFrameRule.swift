/// `last_frame_of` (or a `camera_angle` of `frame: "last"`) needs the scene to declare a `last_frame`.
struct MissingLastFrameRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.missingLastFrame]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            for frame in context.frameSpecs(of: scene) {
                let spec = frame.spec
                let wantsLast = spec.source == .lastFrameOf || (spec.source == .cameraAngle && spec.frame?.value == .last)
                guard wantsLast, let target = context.scene(referencedBy: spec), target.lastFrame == nil else { continue }
                let targetID = target.id?.value ?? "#\(target.index)"
                findings.error(.missingLastFrame,
                               "scene \"\(scene.id?.value ?? "#\(scene.index)")\" opens on the last frame of scene \"\(targetID)\", which declares no last_frame",
                               path: "\(frame.path).scene", at: spec.scene!.anchor,
                               suggestion: "add a \"last_frame\" to scene \"\(targetID)\", or use \"first_frame_of\"")
            }
        }
    }
}
