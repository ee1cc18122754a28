/// Every model used must be able to produce the template's aspect ratio (Veo makes only 16:9 and 9:16).
struct AspectRatioRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.unsupportedAspectRatio]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        let ratio = context.template.aspectRatio
        var reported = Set<String>()
        for scene in context.template.scenes {
            for (kind, choice) in context.modelChoices(of: scene) {
                guard let model = context.usableModel(choice, for: kind), let ratios = model.aspectRatios,
                      !ratios.contains(ratio), reported.insert(choice.path.isEmpty ? model.id : choice.path).inserted else { continue }
                let supported = AspectRatio.allCases.filter(ratios.contains).map(\.rawValue).joined(separator: ", ")
                let anchor = choice.isExplicit ? choice.anchor : context.template.aspectRatioValue?.anchor ?? .none
                findings.error(.unsupportedAspectRatio,
                               "\(model.id) cannot make \(ratio.rawValue) \(kind == .video ? "video" : "images"); it makes \(supported)",
                               path: choice.isExplicit ? choice.path : "aspect_ratio", at: anchor)
            }
        }
    }
}
