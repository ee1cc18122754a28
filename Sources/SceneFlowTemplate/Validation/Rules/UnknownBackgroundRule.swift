/// A scene's `background` must name a declared background.
struct UnknownBackgroundRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unknownBackground]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        guard !context.cannotJudge(.background) else { return }
        for scene in context.template.scenes {
            guard let background = scene.background, !context.backgroundIDs.contains(background.value) else { continue }
            findings.error(.unknownBackground,
                           "scene \"\(scene.id?.value ?? "#\(scene.index)")\" uses unknown background \"\(background.value)\"\(Suggestions.didYouMean(background.value, in: context.backgroundIDs))",
                           path: "\(scene.path).background", at: background.anchor,
                           suggestion: context.backgroundIDs.isEmpty ? "declare it under \"backgrounds\"" : nil)
        }
    }
}
