/// A scene's `duration_s` must be a length its video model can make (Kling 2.6: 5 or 10 s;
/// Veo 3.1: 4, 6 or 8 s). Caught here, not after a paid generation failed.
struct VideoDurationRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unsupportedDuration]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            let choice = context.template.modelChoice(.video, scene: scene)
            guard let model = context.usableModel(choice, for: .video), !model.supportsDuration(scene.duration),
                  let allowed = model.durations else { continue }
            let list = listing(allowed.map(formatNumber), conjunction: "or")
            let nearest = allowed.min { abs($0 - scene.duration) < abs($1 - scene.duration) }.map(formatNumber)
            findings.error(.unsupportedDuration,
                           "scene \"\(scene.id?.value ?? "#\(scene.index)")\" lasts \(formatNumber(scene.duration)) s, but \(model.id) makes clips of \(list) s",
                           path: "\(scene.path).duration_s", at: scene.durationSeconds?.anchor ?? scene.anchor,
                           suggestion: nearest.map { "set \"duration_s\": \($0), or choose another video model" })
        }
    }
}
