import Foundation

/// The node statuses and outputs of a finished (or interrupted) run, read from its `run.json`
/// (CLI contract, "Run report"), for colouring a diagram.
public struct RunStatuses: Sendable {
    public var folder: URL
    public var statuses: [String: NodeStatus]
    /// Output files by node id, absolute.
    public var outputs: [String: URL]
    /// The model each node ran on (with `--offline`, the local engine's, not the template's).
    public var models: [String: String]

    public init(folder: URL, statuses: [String: NodeStatus], outputs: [String: URL], models: [String: String]) {
        self.folder = folder
        self.statuses = statuses
        self.outputs = outputs
        self.models = models
    }

    /// From a report in memory (what `sceneflow run` just made).
    public init(report: RunReport, folder: URL) {
        self.init(folder: folder,
                  statuses: Dictionary(report.nodes.map { ($0.id, $0.status) }, uniquingKeysWith: { a, _ in a }),
                  outputs: Dictionary(report.nodes.compactMap { n in n.output.map { (n.id, folder.appendingPathComponent($0)) } }, uniquingKeysWith: { a, _ in a }),
                  models: Dictionary(report.nodes.compactMap { n in n.model.map { (n.id, $0) } }, uniquingKeysWith: { a, _ in a }))
    }

    /// `path` is a run folder or its `run.json`.
    public static func read(_ path: String) throws(InputFileError) -> RunStatuses {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("run.json")
        }
        let bytes = try InputFileError.readFile(url.path)
        struct Report: Decodable {
            struct Node: Decodable { var id: String; var status: String; var output: String?; var model: String? }
            var nodes: [Node]
        }
        guard let report = try? JSONDecoder().decode(Report.self, from: Data(bytes)) else {
            throw InputFileError(path: url.path, reason: "not a SceneFlow run report (expected {\"nodes\": [{\"id\", \"status\"}]})")
        }
        let folder = url.deletingLastPathComponent()
        var statuses: [String: NodeStatus] = [:], outputs: [String: URL] = [:], models: [String: String] = [:]
        for node in report.nodes {
            statuses[node.id] = NodeStatus(rawValue: node.status) ?? .pending
            if let output = node.output { outputs[node.id] = folder.appendingPathComponent(output) }
            if let model = node.model { models[node.id] = model }
        }
        return RunStatuses(folder: folder, statuses: statuses, outputs: outputs, models: models)
    }
}
