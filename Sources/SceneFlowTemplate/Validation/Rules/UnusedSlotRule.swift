/// A slot no scene shows is still demanded at hydration: almost always a forgotten reference.
struct UnusedSlotRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unusedSlot]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        guard !context.cannotJudge(.sceneSlots) else { return }
        var used = Set<String>()
        for scene in context.template.scenes {
            for key in scene.dependencies { used.insert(key.value) }
        }
        for slot in context.template.slots {
            guard let key = slot.assetKey, !used.contains(key.value), context.slotByKey[key.value]?.index == slot.index else { continue }
            findings.warning(.unusedSlot, "slot \"\(key.value)\" is not used by any scene",
                             path: "dependencies[\(slot.index)].asset_key", at: key.anchor,
                             suggestion: "add \"\(key.value)\" to a scene's \"dependencies\", or remove the slot")
        }
    }
}
