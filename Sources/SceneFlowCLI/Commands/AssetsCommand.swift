import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowProviders
import SceneFlowRun
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "Product assets stored in the workspace, found again by product id (`run --product ID`).",
        subcommands: [Add.self, List.self, Show.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store files for a product's slot (checked by content; the same file is stored once).",
            discussion: """
            The files become the slot's files: whatever the slot held for that product before is \
            replaced (use --append to add to it, for a slot with max > 1). With --template, the key \
            must be a slot of that template and the files of its type.
            """
        )
        @Option(help: "The product id ([a-z0-9][a-z0-9_-]*).") var product: String
        @Argument(help: "The slot's asset key, e.g. product_1.") var key: String
        @Argument(help: "One or more files.") var files: [String]
        @Option(help: "Check the key and the files' type against this template's slots.") var template: String?
        @Flag(help: "Add to the slot's files instead of replacing them.") var append = false
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func validate() throws {
            if let problem = Slug.problem(product) { throw ValidationError("--product \"\(Slug.shown(product))\" is not a valid product id: \(problem)") }
            if let problem = Slug.problem(key), key.contains(":") ? HydrationInputs.imageOverrideProblem(key) != nil : true {
                let detail = key.contains(":") ? HydrationInputs.imageOverrideProblem(key)! : problem
                throw ValidationError("asset key \"\(Slug.shown(key))\" is not a valid key: \(detail) (a slot's key, or avatar:ID / background:ID for this product's image of that avatar or background)")
            }
        }

        func run() async throws {
            for file in files { _ = try RegularFile.size(file) }
            var slotType: SlotType?
            if let template {
                let checked = try ValidTemplate.load(template, allowInvalid: true)
                let slots = checked.template.slots.compactMap { slot in slot.assetKey.map { ($0.value, slot.type?.value) } }
                guard let slot = slots.first(where: { $0.0 == key }) else {
                    throw CommandFailure.error("\(template) has no slot \"\(key)\"\(Suggestions.didYouMean(key, in: slots.map(\.0))); its slots: \(slots.map(\.0).joined(separator: ", "))")
                }
                slotType = slot.1
            }
            let database = try workspaceOptions.database()
            let urls = files.map { URL(fileURLWithPath: $0) }
            // Every pixel of an image decodes before the store keeps it (the store checks the structure).
            for url in urls where MediaType.sniff(fileAt: url)?.isImage == true && (try? ImageCheck.inspect(path: url.path)) != nil {
                if let problem = await ImageDecoding.shared.problem(url) {
                    throw CommandFailure.error("\(url.lastPathComponent): \(problem); nothing was stored")
                }
            }
            let added = try database.addAssets(product: product, key: key, files: urls, slotType: slotType, append: append)
            for asset in added {
                printOut("added \(asset.originalName) as \(product)/\(key) (\(asset.mediaType), \(ByteCount(Int(asset.size))), sha256 \(asset.sha256.prefix(12)))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a product's assets, or every product.")
        @Option(help: "The product id (default: list products).") var product: String?
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let database = try workspaceOptions.existingDatabase()
            guard let product else {
                let products = try database.products()
                if format == .json {
                    printOut(try JSONRows.encode(products.map { ProductRow(productID: $0.product, assets: $0.assets) }))
                    return
                }
                if products.isEmpty { printErr("no products stored in \(workspaceOptions.storeName())") }
                printOut(TextTable.render([["PRODUCT", "ASSETS"]] + products.map { [$0.product, String($0.assets)] }, rightAligned: [1]))
                return
            }
            let assets = try database.assets(product: product)
            guard !assets.isEmpty else { throw CommandFailure.error("no assets are stored for product \"\(Slug.shown(product))\"") }
            if format == .json {
                printOut(try JSONRows.encode(assets.map { database.row($0) }))
                return
            }
            var rows = [["KEY", "FILE", "TYPE", "SIZE", "SHA256", "ADDED"]]
            for a in assets {
                rows.append([a.key, a.originalName, a.mediaType, ByteCount(Int(a.size)).description, String(a.sha256.prefix(12)), a.addedAt.formatted(.iso8601)])
            }
            printOut(TextTable.render(rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show where a product's stored files are.")
        @Option(help: "The product id.") var product: String
        @Argument(help: "Only this slot.") var key: String?
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let database = try workspaceOptions.existingDatabase()
            let assets = try database.assets(product: product).filter { key == nil || $0.key == key }
            guard !assets.isEmpty else {
                throw CommandFailure.error("no assets are stored for product \"\(Slug.shown(product))\"\(key.map { " and slot \"\(Slug.shown($0))\"" } ?? "")")
            }
            for a in assets { printOut("\(a.key)\t\(database.file(of: a).path)\t\(a.originalName)\t\(a.sha256)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a product's assets (for one slot, or one file by its SHA-256 or a prefix of it, as `assets list` shows).")
        @Option(help: "The product id.") var product: String
        @Argument(help: "The slot (default: every slot of the product).") var key: String?
        @Option(help: "Only the file whose SHA-256 starts with this (at least 8 hex digits).") var sha256: String?
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func validate() throws {
            if let sha256, sha256.count < 8 || sha256.count > 64 || !sha256.allSatisfy(\.isHexDigit) {
                throw ValidationError("--sha256 takes 8 to 64 hex digits of a digest (`assets list` shows 12), got \"\(Slug.shown(sha256))\"")
            }
            if let problem = Slug.problem(product) { throw ValidationError("--product \"\(Slug.shown(product))\" is not a valid product id: \(problem)") }
        }

        func run() async throws {
            let removed = try workspaceOptions.existingDatabase().removeAssets(product: product, key: key, sha256: sha256)
            guard !removed.isEmpty else { throw CommandFailure.error("nothing matched for product \"\(Slug.shown(product))\"") }
            printOut("removed \(removed.count) asset\(removed.count == 1 ? "" : "s")")
        }
    }
}

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Run history of the workspace.",
        subcommands: [List.self, Show.self, Wait.self, Cancel.self, Import.self]
    )

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait for a run to end (from any host in team mode); exit 0 if it succeeded, 1 if not.")
        @Argument(help: "A run id (or a unique prefix of one).") var run: String
        @Option(help: "Give up after this many seconds (exit 1).") var timeout: Double = 3600
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func validate() throws {
            guard timeout.isFinite, timeout > 0, timeout <= 31_536_000 else { throw ValidationError("--timeout takes a number of seconds above 0") }
        }

        func run() async throws {
            let database = try workspaceOptions.existingDatabase()
            let deadline = Date().addingTimeInterval(timeout)
            var record = try RunReference.record(run, database: database, workspace: workspaceOptions.workspace)
            while !(RunReport.Status(rawValue: record.status)?.isFinished ?? true) {
                guard Date() < deadline else { throw CommandFailure.error("run \(record.runID) is still \(record.status) after \(Int(timeout)) s") }
                try await Task.sleep(for: .milliseconds(500))
                // A run of this host whose process died is settled (interrupted) rather than waited for.
                database.settleAbandonedRunsOrWarn()
                record = try RunReference.record(record.runID, database: database, workspace: workspaceOptions.workspace)
            }
            printOut("run \(record.runID): \(record.status)")
            if record.status != RunReport.Status.succeeded.rawValue { throw CommandFailure(status: ExitStatus.failure, message: nil) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a run in progress (on this host: its process is signalled; in team mode, on any host).",
            discussion: "The run records itself cancelled: jobs in flight are cancelled, nothing else starts.")
        @Argument(help: "A run id (or a unique prefix of one).") var run: String
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let database = try workspaceOptions.existingDatabase()
            let record = try RunReference.record(run, database: database, workspace: workspaceOptions.workspace)
            guard !(RunReport.Status(rawValue: record.status)?.isFinished ?? true) else {
                throw CommandFailure.error("run \(record.runID) has ended (\(record.status)); there is nothing to cancel")
            }
            // Team mode asks through the history first: the process may be a worker hydrating
            // other runs too (a signal would stop them all); a queued run is cancelled at once.
            if try database.requestCancel(record.runID) {
                let now = try RunReference.record(record.runID, database: database, workspace: workspaceOptions.workspace)
                printOut(now.status == RunReport.Status.cancelled.rawValue ? "run \(record.runID): cancelled (it was queued: no worker held it)"
                                                                           : "run \(record.runID): asked its host to cancel it")
            } else if let pid = record.pid, let start = record.processStart, Workspace.processStartTime(pid) == start {
                guard kill(pid, SIGTERM) == 0 else { throw CommandFailure.error("cannot signal process \(pid) of run \(record.runID): \(String(cString: strerror(errno)))") }
                printOut("run \(record.runID): asked process \(pid) to cancel it")
            } else {
                database.settleAbandonedRunsOrWarn()
                throw CommandFailure.error("run \(record.runID) is recorded running by a process that is gone; it was marked interrupted")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a run to the history from its folder's run.json (when the history could not be written at the run's end).")
        @Argument(help: "The run folder (or its run.json).") var folder: String
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let database = try workspaceOptions.existingDatabase()
            let record: RunRecord
            do { record = try await database.patiently { try $0.importRun(folder: URL(fileURLWithPath: folder)) } } catch let error as StoreError {
                throw CommandFailure.error(error.description)
            }
            printOut("run \(record.runID) (\(record.status)) is in the history")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent runs, newest first, with what each spent (~ marks estimates).")
        @Option(help: "How many.") var limit: Int = 20
        @Option(help: "Only runs for this product.") var product: String?
        @Option(help: "Only runs of this template id.") var template: String?
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let database = try workspaceOptions.existingDatabase()
            database.settleAbandonedRunsOrWarn()
            let runs = try database.runs(limit: limit, product: product, template: template)
            if format == .json {
                printOut(try JSONRows.encode(runs.map(\.row)))
                return
            }
            var rows = [["RUN", "TEMPLATE", "PRODUCT", "STATUS", "STARTED", "JOBS", "SPEND"]]
            for r in runs {
                let counts = r.decodedCounts.map { "\($0.made) made, \($0.cached) cached\($0.failed > 0 ? ", \($0.failed) failed" : "")" } ?? "-"
                rows.append([r.runID, r.templateID, r.productID ?? "-",
                             r.status + (r.simulated ? " (simulated)" : "") + (r.supersededBy != nil ? " (folder reused)" : ""),
                             r.startedAt.formatted(.iso8601), counts, (r.costEstimated ? "~" : "") + r.spend.description])
            }
            printOut(TextTable.render(rows, rightAligned: [6]))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One run: status, counts, final video, spend, what failed.")
        @Argument(help: "A run id (or a unique prefix of one).") var run: String
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let database = try workspaceOptions.existingDatabase()
            let record = try RunReference.record(run, database: database, workspace: workspaceOptions.workspace)
            // The folder's report, or (a run made on another host of the team) the history's.
            let local = record.folder.hasPrefix("/") ? try? RunReport.read(from: URL(fileURLWithPath: record.folder).appendingPathComponent("run.json")) : nil
            let report = try local ?? database.report(of: record.runID)
            if format == .json {
                var row = record.row
                row.failed = report?.nodes.filter { $0.status == .failed }.map { RunRow.Failure(node: $0.id, error: $0.error ?? "") } ?? []
                printOut(try JSONRows.encode(row))
                return
            }
            printOut("run \(record.runID): \(record.status)\(record.simulated ? " (simulated: placeholders, nothing spent)" : "")")
            printOut("template: \(record.templateID) (\(record.templatePath ?? "?"), sha256 \(record.templateSHA256.prefix(12)))")
            if let product = record.productID { printOut("product: \(product)") }
            if let counts = record.decodedCounts { printOut("jobs: \(counts.summary)") }
            printOut("spend: \(record.costEstimated ? "~" : "")\(record.spend)\(record.costEstimated ? " (partly estimated at list price)" : "")")
            printOut("final video: \(record.finalVideo ?? "none")")
            printOut("folder: \(record.folder)\(record.supersededBy.map { " (now holds run \($0)'s files)" } ?? "")")
            if let reason = report?.stopReason, reason != "cancelled" { printOut("why: \(reason)") }
            for node in report?.nodes ?? [] where node.status == .failed || node.status == .blocked {
                printOut("  \(node.status.rawValue) \(node.id): \(node.error ?? "")")
            }
        }
    }
}
