/// Every model a template names must be in the registry and able to do the job it is given.
struct ModelRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unknownModel, .modelKindMismatch]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        let t = context.template
        // Template defaults, once each, in the order of the spec's keys.
        for kind in JobKind.templateModelKeys {
            guard let model = t.models[kind] else { continue }
            check(ModelChoice(id: model.value, anchor: model.anchor, path: "models.\(kind.rawValue)"), kind: kind, context, &findings)
        }
        // Per-scene overrides.
        for scene in t.scenes {
            for (kind, choice) in context.modelChoices(of: scene) where choice.path.hasPrefix("scenes[") {
                check(choice, kind: kind, context, &findings)
            }
            // A voice model on a scene that says nothing makes no job, but a typo in it is still a typo.
            if !scene.isSpeaking, let model = scene.audioModel {
                check(ModelChoice(id: model.value, anchor: model.anchor, path: "\(scene.path).audio.model"), kind: .audio, context, &findings)
            }
        }
    }

    private func check(_ choice: ModelChoice, kind: JobKind, _ context: ValidationContext, _ findings: inout Findings) {
        guard let model = context.registry[choice.id] else {
            let candidates = context.registry.models.filter { $0.kinds.contains(kind) }.map(\.id)
            findings.error(.unknownModel, "unknown model \"\(choice.id)\" for \(kind.rawValue)\(Suggestions.didYouMean(choice.id, in: candidates))",
                           path: choice.path, at: choice.anchor, suggestion: "`sceneflow models` lists the models SceneFlow knows")
            return
        }
        guard model.kinds.contains(kind) else {
            let does = model.kinds.sorted().map(\.rawValue).joined(separator: ", ")
            findings.error(.modelKindMismatch, "model \"\(choice.id)\" cannot make \(kind.noun); it makes \(does)",
                           path: choice.path, at: choice.anchor)
            return
        }
    }
}

extension ValidationContext {
    /// The registry entry for a choice, only if it exists and does `kind` (otherwise `ModelRule`
    /// reported it, and other rules stay quiet to report root causes only).
    func usableModel(_ choice: ModelChoice, for kind: JobKind) -> ModelInfo? {
        guard let model = registry[choice.id], model.kinds.contains(kind) else { return nil }
        return model
    }
}
