/// Each slot takes between `min` and `max` files; an empty required slot is named explicitly,
/// because it is the most common reason a hydration cannot start.
public struct SlotCountRule: InputRule {
    public static let codes: [DiagnosticCode] = [.requiredSlotEmpty, .slotCount]

    public func check(_ inputs: HydrationInputs, _ context: InputContext, into diagnostics: inout [Diagnostic]) {
        for slot in context.template.template.slots {
            guard let key = slot.assetKey?.value, context.template.slotByKey[key]?.index == slot.index,
                  let min = slot.min?.value, let max = slot.max?.value else { continue }
            let count = inputs.files(for: key).count
            let type = slot.type?.value.rawValue ?? "asset"
            if count == 0 && min >= 1 {
                diagnostics.append(context.atSlot(slot, .requiredSlotEmpty,
                                                  "required slot \"\(key)\" (\(type)) is empty; it needs \(min == max ? "\(min)" : "at least \(min)") file\(min == 1 ? "" : "s")",
                                                  suggestion: "pass --asset \(key)=PATH"))
            } else if count > 0 && count < min {
                diagnostics.append(context.atSlot(slot, .slotCount, "slot \"\(key)\" got \(count) file\(count == 1 ? "" : "s") but needs at least \(min)"))
            } else if count > max {
                diagnostics.append(context.atSlot(slot, .slotCount, "slot \"\(key)\" got \(count) files but takes at most \(max)"))
            }
        }
    }
}
