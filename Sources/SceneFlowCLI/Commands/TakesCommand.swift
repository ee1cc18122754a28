import ArgumentParser
import Foundation
import SceneFlowCore
import SceneFlowStore

struct TakesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takes",
        abstract: "A node's takes (each --regenerate keeps the earlier ones), and the one later runs use.",
        discussion: """
        A run uses a job's picked take, else its newest. `sceneflow run T NODE --regenerate NODE` \
        makes a new take; `takes list RUN NODE` shows them; `takes pick RUN NODE N` approves one: \
        later runs of the same job use it, and what depends on the node is remade from it (or taken \
        from the cache, if it was made from that take before).
        """,
        subcommands: [List.self, Pick.self]
    )

    /// The job a node of a run stands for: its takes, from the workspace cache.
    struct NodeTakes {
        var report: RunReport
        var node: RunReport.Node
        var jobKey: String
        var takes: [(take: Int, lookup: CacheLookup)]

        init(run: String, node id: String, workspace: Workspace) throws {
            report = try RunReference.load(run, workspace: workspace).report
            guard let node = report.nodes.first(where: { $0.id == id }) else {
                let ids = report.nodes.filter { $0.job != nil }.map(\.id)
                throw CommandFailure.usage("no node \"\(Slug.shown(id))\" in run \(report.runID) of \(report.template.id)\(Suggestions.didYouMean(id, in: ids))")
            }
            guard !report.simulated else {
                throw CommandFailure.usage("run \(report.runID) is a rehearsal (--simulate): its placeholders are not takes")
            }
            guard node.job != nil, let key = node.jobKey ?? node.cacheKey else {
                throw CommandFailure.usage("\(node.id) in run \(report.runID) \(node.job == nil ? "is not generated (an input or a reused frame)" : "never got as far as a job (\(node.status.rawValue))"): it has no takes")
            }
            self.node = node
            jobKey = key
            let cache = FileOutputCache(directory: workspace.cacheDirectory)
            takes = Takes.all(of: key, in: cache).map { ($0.take, cache.lookup($0.key)) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List a node's takes: number, when, model, request id, cost, file, which is picked and which the run used."
        )

        @Argument(help: ArgumentHelp("A run id or prefix, a run folder, or its run.json.", valueName: "run"))
        var runName: String

        @Argument(help: "A node id of that run, e.g. hook.first_frame.")
        var node: String

        @OptionGroup var workspaceOptions: WorkspaceOptions

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            let workspace = workspaceOptions.workspace
            let found = try NodeTakes(run: runName, node: node, workspace: workspace)
            let picked = try WorkspaceDatabase.existingPicks(in: workspace)[found.jobKey]
            let used = found.node.take ?? 1
            switch format {
            case .json:
                let items = found.takes.map { take, lookup -> Listing.Take in
                    switch lookup {
                    case .hit(let stored):
                        return Listing.Take(take: take, file: stored.url.path, madeAt: stored.metadata.createdAt.formatted(.iso8601),
                                            model: stored.metadata.model, requestID: stored.metadata.requestID,
                                            cost: stored.metadata.cost?.description, sha256: stored.metadata.sha256, missing: nil)
                    case .damaged(let reason):
                        return Listing.Take(take: take, missing: reason)
                    case .miss:
                        return Listing.Take(take: take, missing: "not in the cache")
                    }
                }
                let listing = Listing(run: found.report.runID, node: found.node.id, jobKey: found.jobKey, used: used, picked: picked, takes: items)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                printOut(String(decoding: try encoder.encode(listing), as: UTF8.self))
            case .text:
                var rows = [["TAKE", "MADE", "MODEL", "REQUEST", "COST", "FILE", ""]]
                for (take, lookup) in found.takes {
                    let marks = [take == picked ? "picked" : nil, take == used ? "used by this run" : nil].compactMap { $0 }.joined(separator: ", ")
                    switch lookup {
                    case .hit(let stored):
                        rows.append([String(take), stored.metadata.createdAt.formatted(.iso8601), stored.metadata.model,
                                     stored.metadata.requestID ?? "-", stored.metadata.cost?.description ?? "-", stored.url.path, marks])
                    case .damaged(let reason):
                        rows.append([String(take), "-", "-", "-", "-", "damaged: \(reason)", marks])
                    case .miss:
                        rows.append([String(take), "-", "-", "-", "-", "not in the cache", marks])
                    }
                }
                printOut("\(found.node.id) in run \(found.report.runID) of \(found.report.template.id): \(found.takes.count) take\(found.takes.count == 1 ? "" : "s")"
                         + (picked.map { ", take \($0) picked" } ?? ", none picked (runs use the newest)"))
                printOut(TextTable.render(rows, rightAligned: [0]))
            }
        }
    }

    /// `takes list --format json`.
    struct Listing: Encodable {
        struct Take: Encodable {
            var take: Int
            var file: String?
            var madeAt: String?
            var model: String?
            var requestID: String?
            var cost: String?
            var sha256: String?
            /// Why the take cannot be used (damaged, not in the cache).
            var missing: String?

            enum CodingKeys: String, CodingKey {
                case take, file, model, cost, sha256, missing
                case madeAt = "made_at"
                case requestID = "request_id"
            }
        }
        var run: String
        var node: String
        var jobKey: String
        var used: Int
        var picked: Int?
        var takes: [Take]

        enum CodingKeys: String, CodingKey {
            case run, node, used, picked, takes
            case jobKey = "job_key"
        }
    }

    struct Pick: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pick",
            abstract: "Approve a take: later runs of this job use it."
        )

        @Argument(help: ArgumentHelp("A run id or prefix, a run folder, or its run.json.", valueName: "run"))
        var runName: String

        @Argument(help: "A node id of that run, e.g. hook.first_frame.")
        var node: String

        @Argument(help: "The take's number (`sceneflow takes list RUN NODE`).")
        var take: Int

        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() throws {
            let workspace = workspaceOptions.workspace
            let found = try NodeTakes(run: runName, node: node, workspace: workspace)
            guard let entry = found.takes.first(where: { $0.take == take }) else {
                throw CommandFailure.usage("\(found.node.id) has no take \(take); its takes are \(found.takes.map { String($0.take) }.joined(separator: ", ")) (sceneflow takes list \(found.report.runID) \(found.node.id))")
            }
            guard case .hit = entry.lookup else {
                throw CommandFailure.error("take \(take) of \(found.node.id) is no longer in the cache\({ if case .damaged(let why) = entry.lookup { return " (\(why))" }; return "" }()); pick another, or make a new one with --regenerate")
            }
            let database: WorkspaceDatabase
            do { database = try workspaceOptions.database() } catch { throw CommandFailure.error("\(error)") }
            let previous = try database.pick(of: found.jobKey)?.take
            try database.pick(TakePick(jobKey: found.jobKey, take: take, node: found.node.id,
                                       templateID: found.report.template.id, runID: found.report.runID))
            let change = previous == take ? "already picked" : previous.map { "picked instead of take \($0)" } ?? "picked"
            printOut("take \(take) of \(found.node.id): \(change). Later runs of this job use it\(take == (found.node.take ?? 1) ? "" : ", and remake what depends on \(found.node.id)").")
        }
    }
}
