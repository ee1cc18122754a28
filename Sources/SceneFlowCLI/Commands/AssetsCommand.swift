import ArgumentParser
import Foundation
import SceneFlowCore
import SceneFlowStore

struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "Product assets stored in the workspace, found again by product id (`run --product ID`).",
        subcommands: [Add.self, List.self, Show.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store files for a product's slot (checked by content; the same file is stored once).")
        @Option(help: "The product id.") var product: String
        @Argument(help: "The slot's asset key, e.g. product_1.") var key: String
        @Argument(help: "One or more files.") var files: [String]
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            for file in files { _ = try InputFileError.readFile(file) }
            let database = try workspaceOptions.database()
            do {
                let added = try database.addAssets(product: product, key: key, files: files.map { URL(fileURLWithPath: $0) })
                for asset in added { printOut("added \(asset.originalName) as \(product)/\(key) (\(asset.mediaType), \(asset.size) bytes, sha256 \(asset.sha256.prefix(12)))") }
            } catch {
                printErr("error: \(error)")
                throw ExitCode(ExitStatus.failure)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a product's assets, or every product.")
        @Option(help: "The product id (default: list products).") var product: String?
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let database = try workspaceOptions.database()
            guard let product else {
                let products = try database.products()
                if products.isEmpty { printErr("no products stored in \(database.workspace.root.path)") }
                for p in products { printOut("\(p.product)  \(p.assets) asset\(p.assets == 1 ? "" : "s")") }
                return
            }
            let assets = try database.assets(product: product)
            guard !assets.isEmpty else {
                printErr("error: no assets are stored for product \"\(product)\"")
                throw ExitCode(ExitStatus.failure)
            }
            var rows = [["KEY", "FILE", "TYPE", "SIZE", "SHA256", "ADDED"]]
            for a in assets {
                rows.append([a.key, a.originalName, a.mediaType, "\(a.size)", String(a.sha256.prefix(12)), ISO8601DateFormatter().string(from: a.addedAt)])
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
            let database = try workspaceOptions.database()
            let assets = try database.assets(product: product).filter { key == nil || $0.key == key }
            guard !assets.isEmpty else {
                printErr("error: no assets are stored for product \"\(product)\"\(key.map { " and slot \"\($0)\"" } ?? "")")
                throw ExitCode(ExitStatus.failure)
            }
            for a in assets { printOut("\(a.key)\t\(database.file(of: a).path)\t\(a.originalName)\t\(a.sha256)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a product's assets (for one slot, or one file by its sha256).")
        @Option(help: "The product id.") var product: String
        @Argument(help: "The slot (default: every slot of the product).") var key: String?
        @Option(help: "Only the file with this SHA-256.") var sha256: String?
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let removed = try workspaceOptions.database().removeAssets(product: product, key: key, sha256: sha256)
            guard removed > 0 else {
                printErr("error: nothing matched for product \"\(product)\"")
                throw ExitCode(ExitStatus.failure)
            }
            printOut("removed \(removed) asset\(removed == 1 ? "" : "s")")
        }
    }
}

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Run history of the workspace.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent runs, newest first.")
        @Option(help: "How many.") var limit: Int = 20
        @Option(help: "Only runs for this product.") var product: String?
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            let runs = try workspaceOptions.database().runs(limit: limit, product: product)
            var rows = [["RUN", "TEMPLATE", "PRODUCT", "STATUS", "STARTED", "COST"]]
            for r in runs {
                rows.append([r.runID, r.templateID, r.productID ?? "-", r.status, ISO8601DateFormatter().string(from: r.startedAt), String(format: "$%.2f", r.cost)])
            }
            printOut(TextTable.render(rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One run: status, per-node summary, final video, cost.")
        @Argument(help: "A run id (or a unique prefix of one).") var run: String
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() async throws {
            guard let record = try workspaceOptions.database().run(run) else {
                printErr("error: no run \"\(run)\" in this workspace's history")
                throw ExitCode(ExitStatus.failure)
            }
            printOut("run \(record.runID): \(record.status)")
            printOut("template: \(record.templateID) (\(record.templatePath ?? "?"), sha256 \(record.templateSHA256.prefix(12)))")
            if let product = record.productID { printOut("product: \(product)") }
            printOut("nodes: \(record.counts)")
            printOut(String(format: "cost: $%.2f", record.cost))
            printOut("final video: \(record.finalVideo ?? "none")")
            printOut("folder: \(record.folder)")
            if let report = try? RunReport.read(from: URL(fileURLWithPath: record.folder).appendingPathComponent("run.json")) {
                for node in report.nodes where node.status == .failed || node.status == .blocked {
                    printOut("  \(node.status.rawValue) \(node.id): \(node.error ?? "")")
                }
            }
        }
    }
}
