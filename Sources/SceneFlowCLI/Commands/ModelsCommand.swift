import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model registry: id, provider, job kinds, limits, estimated latency and price."
    )

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        let registry = ModelRegistry.standard
        switch format {
        case .json:
            printOut(ModelCatalog.json(registry))
        case .text:
            var table: [[String]] = [["MODEL", "PROVIDER", "KINDS", "LIMITS", "KEY", "EST. TIME", "PRICE"]]
            for m in registry.models {
                var limits: [String] = []
                if let d = m.durations { limits.append(d.isEmpty ? "any length" : d.map { String(Int($0)) }.joined(separator: "/") + " s") }
                if let r = m.aspectRatios { limits.append(AspectRatio.allCases.filter(r.contains).map(\.rawValue).joined(separator: ",")) }
                if let n = m.maxInputImages { limits.append("≤\(n) images") }
                if m.requiresLastFrame { limits.append("first+last") } else if m.acceptsLastFrame { limits.append("end frame ok") }
                let isDefault = ModelRegistry.defaultModelIDs.values.contains(m.id)
                table.append([m.id + (isDefault ? " *" : ""), m.provider.rawValue, m.kinds.sorted().map(\.rawValue).joined(separator: ","),
                              limits.joined(separator: "; "), m.provider.keyVariable ?? "-",
                              String(format: "~%.0fs", m.estimatedSeconds(clipSeconds: 5, characters: 100)), m.price.summary])
            }
            printOut(TextTable.render(table))
            printOut("\n* default for its job kind. Times are for a 5 s clip or 100 characters; prices are list-price estimates.")
        }
    }
}
