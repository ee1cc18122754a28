/// A scene that lists an image slot none of its jobs reads: only a generated frame combines the
/// product's images, so a scene whose frames are all reused, continued or re-shot from another
/// camera (a logo listed on a camera-angle scene) shows nothing of the slot, while the diagram
/// draws the edge as missing. The product's files are still asked for at hydration.
struct SlotNotUsedRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.slotNotUsed]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        guard !context.cannotJudge(.sceneSlots) else { return }
        for scene in context.template.scenes {
            let frames = context.frameSpecs(of: scene)
            guard !frames.contains(where: { $0.spec.source == .generate }) else { continue }
            let sceneID = scene.id?.value ?? "#\(scene.index)"
            let how: String
            switch scene.firstFrameSpec.source {
            case .cameraAngle: how = "its first frame is another camera angle of scene \"\(scene.firstFrameSpec.scene?.value ?? "?")\""
            case .firstFrameOf: how = "its first frame is scene \"\(scene.firstFrameSpec.scene?.value ?? "?")\"'s first frame"
            case .lastFrameOf: how = "its first frame is scene \"\(scene.firstFrameSpec.scene?.value ?? "?")\"'s last frame"
            case .generate: continue
            }
            for (position, key) in scene.dependencies.enumerated() {
                guard let slot = context.slotByKey[key.value], slot.type?.value.isImage == true else { continue }
                findings.warning(.slotNotUsed,
                                 "scene \"\(sceneID)\" lists slot \"\(key.value)\", but no frame of it is generated, so nothing reads the slot's image (\(how))",
                                 path: "scenes[\(scene.index)].dependencies[\(position)]", at: key.anchor,
                                 suggestion: "remove \"\(key.value)\" from the scene's \"dependencies\", or generate the scene's first frame")
            }
        }
    }
}
