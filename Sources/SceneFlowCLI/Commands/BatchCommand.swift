import ArgumentParser
import Foundation
import SceneFlowCore
import SceneFlowStore

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Hydrate one template for many products in one process, with shared limits and one cache.",
        discussion: """
        FILE.csv has a header `product_id,<asset_key>,...` and one row per product; a cell holds \
        a path (several separated by ';'), an empty cell takes that slot from the asset store. \
        The whole file is checked before anything runs. Exit status 1 if any product failed.
        """
    )

    @Argument(help: "The template file.")
    var template: String

    @Option(help: "The CSV of products.")
    var products: String

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Option(help: "The batch folder (default: a new folder under the workspace's runs/); one run folder per product inside.")
    var out: String?

    @OptionGroup var engineOptions: EngineOptions

    func run() async throws {
        let valid = try ValidTemplate.load(template)
        let database = try workspaceOptions.database()
        let (batch, diagnostics) = try BatchFile.read(path: products, loaded: valid.loaded, template: valid.template, database: database)
        if !diagnostics.isEmpty { printErr(DiagnosticReport.text(diagnostics)) }
        if diagnostics.hasErrors {
            printErr("\(products): nothing was run")
            throw ExitCode(ExitStatus.failure)
        }
        let workspace = workspaceOptions.workspace
        try workspace.create()
        let batchID = Workspace.newRunID()
        let folder = out.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? workspace.runsDirectory.appendingPathComponent("batch-\(batchID)")
        let limits = try limitOptions.limits()
        let limiter = ConcurrencyLimiter(limits: limits)
        var options = engineOptions.runOptions(limits: limits)
        options.sharedLimiter = limiter
        options.coalescer = JobCoalescer()
        let generators = engineOptions.generators()
        let store = FileOutputStore(directory: workspace.cacheDirectory)
        try generators.check(SceneGraph(template: valid.template).models(offline: options.offline).map(\.model))
        options.remoteImages = try await RemoteImageInputs.fetch(valid, workspace: workspace)
        let engines = batch.products.map { product in
            RunEngine(loaded: valid.loaded, template: valid.template, inputs: product.inputs, store: store, options: options,
                      runFolder: folder.appendingPathComponent(product.id), workspace: workspace,
                      runID: "\(batchID)-\(product.id)", generators: generators.generator(for:), events: { event in
                          if case .failed(let node, let error, _) = event { printErr("[\(product.id)] FAILED \(node): \(error)") }
                      })
        }
        printErr("batch of \(engines.count) product\(engines.count == 1 ? "" : "s") → \(folder.path)")

        let task = Task {
            await withTaskGroup(of: (Int, RunReport).self) { group in
                for (i, engine) in engines.enumerated() { group.addTask { (i, await engine.run()) } }
                var reports = [RunReport?](repeating: nil, count: engines.count)
                for await (i, report) in group {
                    reports[i] = report
                    printErr("[\(batch.products[i].id)] \(report.status.rawValue)")
                }
                return reports.compactMap { $0 }
            }
        }
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .main)
        interrupt.setEventHandler { printErr("interrupted: cancelling"); task.cancel() }
        interrupt.resume()
        let reports = await task.value
        interrupt.cancel()

        var rows = [["PRODUCT", "STATUS", "FINAL VIDEO", "FAILED"]]
        for (product, report) in zip(batch.products, reports) {
            let runFolder = folder.appendingPathComponent(product.id)
            do { try database.record(report, folder: runFolder) } catch { printErr("warning: history not updated for \(product.id): \(error)") }
            let failed = report.nodes.filter { $0.status == .failed }.map { "\($0.id): \($0.error ?? "")" }
            rows.append([product.id, report.status.rawValue, report.finalVideo.map { runFolder.appendingPathComponent($0).path } ?? "-",
                         failed.isEmpty ? "-" : failed.joined(separator: "; ")])
        }
        printOut(TextTable.render(rows))
        if reports.contains(where: { $0.status == .cancelled }) { throw ExitCode(130) }
        if reports.contains(where: { $0.status != .succeeded }) { throw ExitCode(ExitStatus.failure) }
    }
}
