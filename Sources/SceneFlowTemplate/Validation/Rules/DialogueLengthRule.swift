import Foundation

/// A speaking scene's dialogue that cannot be said in the scene's length is a warning: people
/// speak about three words a second, so the voice-over would be rushed (the local engine speeds
/// speech up to 1.6× at most, then cuts it) and its captions could not all be read (they show
/// only what fits at a readable pace).
struct DialogueLengthRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.dialogueTooLong]
    /// About this many words a second can be spoken in an ad's voice-over.
    static let wordsPerSecond = 3.0

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            guard scene.speaking?.value == true, let dialogue = scene.dialogue else { continue }
            let seconds = scene.duration
            guard seconds > 0, seconds.isFinite else { continue }
            let words = dialogue.value.split(whereSeparator: \.isWhitespace).count
            let speakable = Int(seconds * Self.wordsPerSecond)
            guard words > speakable else { continue }
            findings.warning(.dialogueTooLong,
                             "scene \"\(scene.id?.value ?? "#\(scene.index)")\" says \(words) words in \(formatted(seconds)) s; about \(speakable) can be spoken in that time (3 a second), so the voice-over is rushed or cut and its captions cannot all be read",
                             path: "\(scene.path).dialogue", at: dialogue.anchor,
                             suggestion: "shorten the dialogue, or lengthen the scene")
        }
    }

    private func formatted(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
