import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

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

    /// The run and node both subcommands name.
    struct NodeOfRun: ParsableArguments {
        @Argument(help: ArgumentHelp("A run id or prefix, a run folder, or its run.json.", valueName: "run"))
        var runName: String

        @Argument(help: "A node id of that run, e.g. hook.first_frame.")
        var node: String

        @OptionGroup var workspaceOptions: WorkspaceOptions

        func takes() throws -> NodeTakes {
            let workspace = workspaceOptions.workspace
            let report = try RunReference.load(runName, workspace: workspaceOptions).report
            do { return try NodeTakes(report: report, node: node, cache: FileOutputCache(directory: workspace.cacheDirectory)) } catch {
                throw CommandFailure.usage(error.description)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List a node's takes: number, when, model, request id, cost, file, which is picked and which the run used."
        )

        @OptionGroup var target: NodeOfRun

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            let found = try target.takes()
            let picked = try target.workspaceOptions.picks(template: found.report.template.id)[found.jobKey]
            let used = found.used
            switch format {
            case .json:
                printOut(String(decoding: try found.listing(picked: picked).encoded(), as: UTF8.self))
            case .text:
                var rows = [["TAKE", "MADE", "MODEL", "REQUEST", "COST", "FILE", ""]]
                for entry in found.takes {
                    let take = entry.take
                    let marks = [take == picked ? "picked" : nil, take == used ? "used by this run" : nil].compactMap { $0 }.joined(separator: ", ")
                    switch entry.lookup {
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

    struct Pick: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pick",
            abstract: "Approve a take: later runs of this job use it."
        )

        @OptionGroup var target: NodeOfRun

        @Argument(help: "The take's number (`sceneflow takes list RUN NODE`).")
        var take: Int

        func run() throws {
            let found = try target.takes()
            do { _ = try found.output(take) } catch {
                if case .noTake = error { throw CommandFailure.usage(error.description) }
                throw CommandFailure.error(error.description)
            }
            let database = try target.workspaceOptions.database()
            let previous = try found.pick(take, in: database)
            let change = previous == take ? "already picked" : previous.map { "picked instead of take \($0)" } ?? "picked"
            printOut("take \(take) of \(found.node.id): \(change). Later runs of this job use it\(take == found.used ? "" : ", and remake what depends on \(found.node.id)").")
        }
    }
}
