/// A generated frame must not need more input images than its model accepts in one request.
struct InputImageLimitRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.tooManyInputImages]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            let slotImages = scene.dependencies.reduce(0) { sum, key in
                guard let slot = context.slotByKey[key.value], slot.type?.value.isImage ?? false else { return sum }
                return sum + max(0, slot.max?.value ?? 1)
            }
            for frame in context.frameSpecs(of: scene) where frame.spec.source == .generate {
                let spec = frame.spec, isLast = frame.isLast
                let kind: JobKind = isLast ? .lastFrame : .firstFrame
                let choice = context.template.modelChoice(kind, scene: scene, frame: (spec, isLast))
                guard let model = context.usableModel(choice, for: kind), let limit = model.maxInputImages else { continue }
                // A first frame combines avatar, background and the images of the slots it shows; a last frame
                // starts from the scene's first frame plus the same dependencies.
                let count = isLast ? 1 + slotImages
                    : (scene.avatar == nil ? 0 : 1) + (scene.background == nil ? 0 : 1) + slotImages
                guard count > limit else { continue }
                findings.error(.tooManyInputImages,
                               "\(kind.rawValue) of scene \"\(scene.id?.value ?? "#\(scene.index)")\" needs up to \(count) input images, but \(model.id) takes at most \(limit)",
                               path: frame.path, at: spec.anchor == .none ? scene.anchor : spec.anchor,
                               suggestion: "lower the slots' max, or choose a model that takes more images")
            }
        }
    }
}
