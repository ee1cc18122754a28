import ArgumentParser
import Foundation
import SceneFlowCore

/// `--concurrency N` and `--limit PROVIDER=N`, shared by plan and run.
struct LimitOptions: ParsableArguments {
    @Option(help: "Jobs in flight at once, across all providers.")
    var concurrency: Int = 8

    @Option(name: .customLong("limit"), help: ArgumentHelp("A provider's concurrency limit, e.g. fal=4 (repeatable).", valueName: "provider=n"))
    var providerLimits: [String] = []

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        _ = try limits()
    }

    func limits() throws -> RunLimits {
        var result = RunLimits(concurrency: concurrency)
        for text in providerLimits {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let provider = Provider(rawValue: parts[0]), let n = Int(parts[1]), n >= 1 else {
                throw ValidationError("--limit expects PROVIDER=N with a provider of \(Provider.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
            }
            result.providerLimits[provider] = n
        }
        return result
    }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Dry run: the order, the parallel waves, the critical path, and estimated time and cost per provider.",
        discussion: "Generates nothing and needs no keys. Times and prices are the registry's estimates (`sceneflow models`)."
    )

    @Argument(help: "The template file.")
    var template: String

    @OptionGroup var limitOptions: LimitOptions

    @Flag(help: "Plan the run on the local engine (what `run --offline` does).")
    var offline = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        let valid = try ValidTemplate.load(template)
        let graph = SceneGraph(template: valid.template)
        guard let plan = Planner.plan(graph, limits: try limitOptions.limits(), offline: offline) else {
            throw ExitCode(ExitStatus.failure) // unreachable: validation rejects cycles
        }
        switch format {
        case .json: printOut(PlanReport.json(plan))
        case .text: printOut(PlanReport.text(plan, title: "\(valid.template.id?.value ?? template) (\(template))"))
        }
    }
}
