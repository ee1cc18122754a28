import Foundation

/// A speaking scene needs dialogue: there is nothing to voice or lip-sync otherwise.
struct MissingDialogueRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.missingDialogue]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            guard let speaking = scene.speaking, speaking.value else { continue }
            let dialogue = scene.dialogue?.value.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard dialogue.isEmpty else { continue }
            findings.error(.missingDialogue,
                           "scene \"\(scene.id?.value ?? "#\(scene.index)")\" is speaking but has no dialogue",
                           path: "\(scene.path).speaking", at: speaking.anchor,
                           suggestion: "add \"dialogue\", or set \"speaking\": false")
        }
    }
}
