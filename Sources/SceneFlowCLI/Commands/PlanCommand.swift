import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

/// `--concurrency N` and `--limit PROVIDER=N`, shared by plan, run and batch.
struct LimitOptions: ParsableArguments {
    @Option(help: "Jobs in flight at once, across all providers.")
    var concurrency: Int = 8

    @Option(name: .customLong("limit"), help: ArgumentHelp("A provider's concurrency limit, e.g. fal=4 (repeatable).", valueName: "provider=n"))
    var providerLimits: [String] = []

    func validate() throws {
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 10000") }
        _ = try limits()
    }

    func limits() throws -> RunLimits { try Self.limits(concurrency: concurrency, providerLimits: providerLimits) }

    static func limits(concurrency: Int, providerLimits: [String]) throws -> RunLimits {
        var result = RunLimits(concurrency: concurrency)
        let providers = Provider.allCases.map(\.rawValue).joined(separator: ", ")
        for text in providerLimits {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--limit expects PROVIDER=N, got \"\(Slug.shown(text))\"") }
            guard let provider = Provider(rawValue: parts[0]) else {
                throw ValidationError("--limit: no provider \"\(Slug.shown(parts[0]))\"\(Suggestions.didYouMean(parts[0], in: Provider.allCases.map(\.rawValue))); providers: \(providers)")
            }
            guard let n = Int(parts[1]), (1...10_000).contains(n) else {
                throw ValidationError("--limit \(parts[0]): the limit must be a whole number from 1 to 10000, got \"\(Slug.shown(parts[1]))\"")
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
        discussion: """
        Generates nothing and needs no keys. Times and prices are the registry's estimates \
        (`sceneflow models`). With hydration inputs (--asset, --inputs, --product), jobs whose \
        output is already in the workspace cache are shown as cached: a rerun costs only what \
        changed. TARGETS narrow the plan as they narrow a run.
        """
    )

    @Argument(help: "The template file.")
    var template: String

    @Argument(help: ArgumentHelp("Plan only these and what they need (node ids, scene ids, stages).", valueName: "target"))
    var targets: [String] = []

    @OptionGroup var hydration: HydrationOptions
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Option(help: ArgumentHelp("Plan a new take of these (node ids, scene ids, stages) and what depends on them, as `run --regenerate` would make them (repeatable).", valueName: "node"))
    var regenerate: [String] = []

    @Flag(help: "Plan the run on the local engine (what `run --offline` does).")
    var offline = false

    @Option(help: "Short side of local-engine frames and clips (part of what the cache matches).")
    var resolution: Int = 720

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(help: "List every wave and the whole order (text), instead of summaries.")
    var verbose = false

    func run() async throws {
        let checked = try ValidTemplate.load(template, json: format == .json)
        let graph = checked.graph
        let selection: Set<String>?
        do { selection = targets.isEmpty ? nil : try RunSelection.nodes(for: targets, in: graph) } catch {
            throw CommandFailure.usage(error.description)
        }
        let remade: Set<Int>
        do { remade = RunSelection.forced(graph, regenerate: try RunSelection.regenerated(regenerate, in: graph)) } catch {
            throw CommandFailure.usage(error.description)
        }
        var cached = Set<Int>()
        if !hydration.isEmpty {
            let inputs = try hydration.load(workspace: workspaceOptions)
            let resolver = InputResolver(templateDirectory: checked.loaded.directory, assets: inputs,
                                         remoteImages: [:], replacements: inputs.replacements(for: graph))
            cached = CachePrediction.cachedNodes(graph, builder: JobBuilder(graph: graph, offline: offline, resolution: resolution),
                                                 inputs: resolver, cache: FileOutputCache(directory: workspaceOptions.workspace.cacheDirectory),
                                                 picks: try workspaceOptions.picks(template: checked.id),
                                                 regenerate: remade)
        }
        guard let plan = Planner.plan(graph, limits: try limitOptions.limits(), offline: offline, targets: selection, cached: cached) else {
            throw CommandFailure.error("the template's graph has a cycle") // validation rejects cycles first
        }
        switch format {
        case .json:
            PlanReport.json(plan) { FileHandle.standardOutput.write(Data($0)) }
        case .text:
            printOut(PlanReport.text(plan, title: "\(checked.id) (\(template))", verbose: verbose))
        }
        Teardown.skip(checked, plan)
    }
}
