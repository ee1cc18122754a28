/// A scene's `dependencies` must name slots declared in the template's `dependencies`.
struct UnknownAssetKeyRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unknownAssetKey]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        guard !context.cannotJudge(.assetKey) else { return }
        let keys = context.slotByKey.keys
        for scene in context.template.scenes {
            for (j, key) in scene.dependencies.enumerated() where context.slotByKey[key.value] == nil {
                findings.error(.unknownAssetKey,
                               "scene \"\(scene.id?.value ?? "#\(scene.index)")\" depends on unknown asset \"\(key.value)\"\(Suggestions.didYouMean(key.value, in: keys))",
                               path: "\(scene.path).dependencies[\(j)]", at: key.anchor,
                               suggestion: keys.isEmpty ? "declare a slot with this asset_key under the template's \"dependencies\"" : nil)
            }
        }
    }
}
