/// Ids must be unique within their kind: references would be ambiguous otherwise.
struct DuplicateIDRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.duplicateID]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        let t = context.template
        report("scene id", t.scenes.map { ($0.id, "\($0.path).id") }, &findings)
        report("avatar id", t.avatars.map { ($0.id, "avatars[\($0.index)].id") }, &findings)
        report("background id", t.backgrounds.map { ($0.id, "backgrounds[\($0.index)].id") }, &findings)
        report("asset key", t.slots.map { ($0.assetKey, "dependencies[\($0.index)].asset_key") }, &findings)
    }

    private func report(_ what: String, _ ids: [(Located<String>?, String)], _ findings: inout Findings) {
        var first: [String: String] = [:]
        for (id, path) in ids {
            guard let id else { continue }
            if let earlier = first[id.value] {
                findings.error(.duplicateID, "duplicate \(what) \"\(id.value)\"; it is first declared at \(earlier)",
                               path: path, at: id.anchor, suggestion: "rename one of them")
            } else {
                first[id.value] = path
            }
        }
    }
}
