/// A slot's counts must make sense: `0 <= min <= max` and `max >= 1`.
struct SlotBoundsRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.invalidSlotBounds]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for slot in context.template.slots {
            let name = slot.assetKey.map { "slot \"\($0.value)\"" } ?? "slot #\(slot.index)"
            let path = "dependencies[\(slot.index)]"
            if let min = slot.min, min.value < 0 {
                findings.error(.invalidSlotBounds, "\(name) has min \(min.value); min cannot be negative", path: "\(path).min", at: min.anchor)
            }
            if let max = slot.max, max.value < 1 {
                findings.error(.invalidSlotBounds, "\(name) has max \(max.value); a slot takes at least one file (max >= 1)", path: "\(path).max", at: max.anchor)
            } else if let min = slot.min, let max = slot.max, min.value > max.value {
                findings.error(.invalidSlotBounds, "\(name) has min \(min.value) greater than max \(max.value)", path: "\(path).min", at: min.anchor,
                               suggestion: "set max to at least \(min.value)")
            }
        }
    }
}
