import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowSession
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Hydrate one template for many products in one process, with shared limits and one cache.",
        discussion: """
        FILE.csv has a header `product_id,<asset_key>,...` and one row per product; a cell holds \
        a path (several separated by ';', relative to the CSV), an empty cell takes that slot from \
        the asset store. The whole file, and every product's inputs, are checked before anything \
        runs. Each product gets a run folder (run.json, run.svg, outputs) inside the batch folder. \
        --max-cost is a budget for the whole batch. Exit status 1 if any product failed.
        """
    )

    @Argument(help: "The template file.")
    var template: String

    @Argument(help: ArgumentHelp("Run only these and what they need, for every product (see `run --help`).", valueName: "target"))
    var targets: [String] = []

    @Option(help: "The CSV of products.")
    var products: String

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Option(help: "The batch folder (default: a new folder under the workspace's runs/); one run folder per product inside.")
    var out: String?

    @OptionGroup var execution: ExecutionOptions

    func run() async throws {
        let checked = try ValidTemplate.load(template)
        let workspace = workspaceOptions.workspace
        let database = try workspaceOptions.database()
        database.settleAbandonedRunsOrWarn()
        let (batch, diagnostics) = try BatchFile.read(path: products, loaded: checked.loaded, template: checked.template, database: database)
        if !diagnostics.isEmpty { printErr(DiagnosticReport.text(diagnostics)) }
        if diagnostics.hasErrors { throw CommandFailure(status: ExitStatus.failure, message: "\(products): nothing was run") }

        let batchID = Workspace.newRunID()
        let folder = out.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? workspace.runsDirectory.appendingPathComponent("batch-\(batchID)")
        let limits = try limitOptions.limits()
        let shared = ConcurrencyLimiter(limits: limits)
        let coalescer = JobCoalescer()
        // One budget for the whole batch: every product's jobs draw on the same ledger.
        let ledger = execution.budget.map { SpendLedger(limit: $0) }
        let session = try workspaceOptions.session(store: database, generators: execution.generators())
        let progress = RunProgress(json: execution.json)
        let signals = SignalBox(progress: progress)
        defer { signals.remove() }
        var prepared: [(PreparedHydration, String?)] = []
        var total = Money.zero
        if execution.detach {
            guard out == nil else { throw CommandFailure(status: ExitStatus.usage, message: "error: --out names a folder on this host; a detached batch's run folders are on the workers' hosts (leave --out out)") }
            guard execution.budget == nil else {
                throw CommandFailure(status: ExitStatus.usage, message: "error: a batch's --max-cost is one budget held by one process; run the batch without --detach, or queue each product with `run --detach --max-cost`")
            }
        }
        var detached: [(HydrationRequest, String)] = []
        for product in batch.products {
            var request = HydrationRequest(template: checked, inputs: product.inputs)
            request.targets = targets
            request.replacements = product.inputs.replacements(for: checked.graph)
            request.runID = "\(batchID)-\(product.id)"
            request.out = folder.appendingPathComponent(product.id)
            try execution.configure(&request, limits: limits)
            if execution.detach {
                detached.append((request, product.id))
                continue
            }
            request.budget = nil
            request.options.ledger = ledger
            request.options.sharedLimiter = shared
            request.options.coalescer = coalescer
            let runID = request.runID, label = product.id
            do {
                let one = try await session.prepare(request) { progress.handle($0, runID: runID, label: label) }
                total = total + (one.plan?.totalCost ?? .zero)
                prepared.append((one, product.id))
            } catch {
                throw CommandFailure(status: ExitStatus.of(error)?.0 ?? 1, message: "product \"\(product.id)\" (line \(product.line)): \(ExitStatus.of(error)?.1 ?? "\(error)")\n\(products): nothing was run")
            }
        }
        if execution.detach {
            return try await Detach.submit(detached.map(\.0), labels: detached.map(\.1), workspaceOptions: workspaceOptions)
        }
        if let budget = execution.budget, total > budget, execution.simulate == nil {
            throw CommandFailure.error("the batch's jobs that would run are estimated at \(total), above the budget of \(budget) (--max-cost); nothing was run")
        }
        if !progress.isJSON { printErr("batch of \(prepared.count) product\(prepared.count == 1 ? "" : "s") → \(folder.path)") }
        try signals.stopIfSignalled()
        // Every product's run is recorded before any starts; if one cannot be, none starts.
        for (i, (one, label)) in prepared.enumerated() {
            do { try await session.begin(one) } catch {
                for (earlier, _) in prepared[..<i] { await session.abandon(earlier, reason: "the batch did not start: product \(label ?? "?") could not be recorded") }
                throw CommandFailure(status: ExitStatus.of(error)?.0 ?? 1, message: "product \"\(label ?? "?")\": \(error.description)\n\(products): nothing was run")
            }
        }
        let outcomes = await Hydration.execute(prepared, session: session, progress: progress, signals: signals)
        if !progress.isJSON {
            var rows = [["PRODUCT", "STATUS", "JOBS", "COST", "FINAL VIDEO", "FAILED"]]
            for outcome in outcomes {
                let report = outcome.result.report
                let failed = report.nodes.filter { $0.status == .failed }.map { "\($0.id): \($0.error ?? "")" }
                rows.append([outcome.label ?? "", report.status.rawValue, "\(report.counts.made) made, \(report.counts.cached) cached",
                             "\(report.costEstimated ? "~" : "")\(report.cost)",
                             report.finalVideo.flatMap { try? outcome.result.folder.file($0).path } ?? "-",
                             failed.isEmpty ? "-" : failed.joined(separator: "; ")])
            }
            printOut(TextTable.render(rows))
        }
        try Hydration.conclude(outcomes, progress: progress, summaries: false)
    }
}
