/// A supplied asset must fill a slot the template declares: a misspelt key would otherwise leave
/// the real slot empty and the file unused. Files from the asset store are exempt: a product's
/// stored files serve every template, and a template takes the slots it has.
public struct UnknownSlotRule: InputRule {
    public static let codes: [DiagnosticCode] = [.unknownSlot]

    public func check(_ inputs: HydrationInputs, _ context: InputContext, into diagnostics: inout [Diagnostic]) {
        let keys = context.template.slotByKey.keys
        for file in inputs.files where context.template.slotByKey[file.key] == nil {
            if case .store = file.origin { continue }
            diagnostics.append(context.atFile(file, .unknownSlot,
                                              "the template has no slot \"\(file.key)\"\(Suggestions.didYouMean(file.key, in: keys))",
                                              suggestion: keys.isEmpty ? "this template takes no assets" : "slots: \(keys.sorted().joined(separator: ", "))"))
        }
    }
}
