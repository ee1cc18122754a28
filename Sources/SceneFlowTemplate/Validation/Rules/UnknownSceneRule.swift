import Foundation

/// A frame spec's `scene` must name a scene of the template.
struct UnknownSceneRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unknownScene]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        guard !context.cannotJudge(.scene) else { return }
        let ids = context.sceneIndexByID.keys
        for scene in context.template.scenes {
            for frame in context.frameSpecs(of: scene) {
                let spec = frame.spec
                guard let target = spec.scene, context.sceneIndexByID[target.value] == nil else { continue }
                findings.error(.unknownScene,
                               "\(frame.path.replacingOccurrences(of: scene.path + ".", with: "")) of scene \"\(scene.id?.value ?? "#\(scene.index)")\" refers to unknown scene \"\(target.value)\"\(Suggestions.didYouMean(target.value, in: ids))",
                               path: "\(frame.path).scene", at: target.anchor)
            }
        }
    }
}
