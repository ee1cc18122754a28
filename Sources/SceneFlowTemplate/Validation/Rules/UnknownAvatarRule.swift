/// A scene's `avatar` must name a declared avatar.
struct UnknownAvatarRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unknownAvatar]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        guard !context.cannotJudge(.avatar) else { return }
        for scene in context.template.scenes {
            guard let avatar = scene.avatar, !context.avatarIDs.contains(avatar.value) else { continue }
            findings.error(.unknownAvatar,
                           "scene \"\(scene.id?.value ?? "#\(scene.index)")\" uses unknown avatar \"\(avatar.value)\"\(Suggestions.didYouMean(avatar.value, in: context.avatarIDs))",
                           path: "\(scene.path).avatar", at: avatar.anchor,
                           suggestion: context.avatarIDs.isEmpty ? "declare it under \"avatars\"" : nil)
        }
    }
}
