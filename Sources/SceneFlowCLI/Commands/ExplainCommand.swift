import ArgumentParser
import Foundation
import SceneFlowCore

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say why each node of a run ran, or was reused: no cache entry, which input changed, --regenerate.",
        discussion: "RUN is a run folder or its run.json (the path `sceneflow run` printed)."
    )

    @Argument(help: "A run folder or its run.json.")
    var run: String

    @Argument(help: "Only these nodes (default: every generation node).")
    var nodes: [String] = []

    func run() async throws {
        var url = URL(fileURLWithPath: run)
        if !url.lastPathComponent.hasSuffix(".json") { url.appendPathComponent("run.json") }
        _ = try InputFileError.readFile(url.path)
        let report: RunReport
        do { report = try RunReport.read(from: url) } catch {
            throw InputFileError(path: url.path, reason: "not a SceneFlow run report")
        }
        let ids = Set(report.nodes.map(\.id))
        for id in nodes where !ids.contains(id) {
            throw ValidationError("no node \"\(id)\" in this run\(Suggestions.didYouMean(id, in: ids))")
        }
        let selected = nodes.isEmpty ? report.nodes.filter { $0.operation != "input" } : report.nodes.filter { nodes.contains($0.id) }
        printOut("run \(report.runID) of \(report.template.id): \(report.status.rawValue)")
        for node in selected {
            var line = "\(node.id): \(node.status.rawValue)"
            if let reason = node.reason { line += " — \(reason)" }
            if node.attempts > 1 { line += " (\(node.attempts) attempts)" }
            if let error = node.error, node.status != .succeeded { line += "\n    error: \(error)" }
            if let model = node.model { line += "\n    model: \(model)\(node.offline == true ? " (offline)" : "")" }
            if let key = node.cacheKey { line += "\n    cache key: \(key)" }
            printOut(line)
        }
    }
}
