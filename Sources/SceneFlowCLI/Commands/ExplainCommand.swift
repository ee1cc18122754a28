import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say why each node of a run ran, or was reused: no cache entry, which input changed, --regenerate, a damaged cache file.",
        discussion: "RUN is a run id (or a unique prefix of one), a run folder, or its run.json (the path `sceneflow run` printed)."
    )

    @Argument(help: "A run id or prefix, a run folder, or its run.json.")
    var run: String

    @Argument(help: "Only these nodes (default: every job).")
    var nodes: [String] = []

    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        let loaded = try RunReference.load(run, workspace: workspaceOptions)
        let report = loaded.report
        let ids = report.nodes.map(\.id)
        for id in nodes where !ids.contains(id) {
            throw CommandFailure.usage("no node \"\(Slug.shown(id))\" in run \(report.runID)\(Suggestions.didYouMean(id, in: ids))")
        }
        let selected = nodes.isEmpty ? report.nodes.filter { $0.job != nil } : report.nodes.filter { nodes.contains($0.id) }
        if format == .json {
            var filtered = report
            filtered.nodes = selected
            printOut(String(decoding: try filtered.encoded(), as: UTF8.self))
            return
        }
        printOut("run \(report.runID) of \(report.template.id): \(report.status.rawValue)\(report.simulated ? " (simulated)" : "")")
        for node in selected {
            var line = "\(node.id): \(node.status.rawValue)"
            if let reason = node.reason { line += " — \(reason)" }
            if node.attempts > 1 { line += " (\(node.attempts) attempts)" }
            if let error = node.error, node.status != .succeeded, node.status != .cached { line += "\n    error: \(error)" }
            if let model = node.model { line += "\n    model: \(model)\(node.offline == true ? " (offline)" : "")" }
            if let made = node.madeBy, node.status == .cached { line += "\n    made by run: \(made)" }
            if let key = node.cacheKey { line += "\n    cache key: \(key)" }
            printOut(line)
        }
    }
}

/// A run named on the command line: a run id or a unique prefix of one (from the workspace's
/// history), a run folder, or a `run.json`.
enum RunReference {
    static func load(_ name: String, workspace options: WorkspaceOptions) throws -> LoadedRun {
        if FileManager.default.fileExists(atPath: name) { return try LoadedRun.read(name) }
        let database: any Store
        do { database = try options.existingDatabase() } catch let error as InputFileError {
            throw InputFileError(path: name, reason: "no such run folder, and no workspace history to look a run id up in (\(error.reason))")
        }
        let found = try record(name, database: database, workspace: options.workspace)
        // A run made on another host of the team: its report as the history keeps it.
        // (Its folder is then `host:/path`, never read here.)
        if !found.folder.hasPrefix("/") || !FileManager.default.fileExists(atPath: found.folder), let report = try database.report(of: found.runID) {
            return LoadedRun(report: report, folder: URL(fileURLWithPath: found.folder))
        }
        return try LoadedRun.read(found.folder)
    }

    /// The history's record of a run id or unique prefix: an ambiguous prefix is a usage error
    /// (64) listing the runs it names; an unknown one cannot be read (66) and names recent runs.
    static func record(_ name: String, database: any Store, workspace: Workspace) throws -> RunRecord {
        switch try database.lookup(name) {
        case .found(let record): return record
        case .ambiguous(let ids):
            throw CommandFailure.usage("\"\(Slug.shown(name))\" names \(ids.count == 11 ? "more than 10" : "\(ids.count)") runs: \(ids.prefix(10).joined(separator: ", ")); give more of the id")
        case .none:
            let recent = (try? database.runs(limit: 5).map(\.runID)) ?? []
            throw CommandFailure(status: ExitStatus.cannotReadInput,
                                 message: "error: no run \"\(Slug.shown(name))\" in \(workspace.root.path)\(recent.isEmpty ? "" : "; recent runs: \(recent.joined(separator: ", "))")")
        }
    }
}
