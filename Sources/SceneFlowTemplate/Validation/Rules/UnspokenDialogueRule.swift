import Foundation

/// Dialogue on a non-speaking scene is a warning: the dashboard this replaces leaked such text
/// into the video prompt, and an author who wrote it probably expects it to be heard.
struct UnspokenDialogueRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unspokenDialogue]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            guard let speaking = scene.speaking, !speaking.value,
                  let dialogue = scene.dialogue, !dialogue.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            findings.warning(.unspokenDialogue,
                             "scene \"\(scene.id?.value ?? "#\(scene.index)")\" has dialogue but is not speaking; the dialogue is ignored",
                             path: "\(scene.path).dialogue", at: dialogue.anchor,
                             suggestion: "remove the dialogue, or set \"speaking\": true")
        }
    }
}
