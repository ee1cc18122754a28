import Foundation

/// The node statuses and outputs of a finished (or interrupted) run, read from its `run.json`
/// (CLI contract, "Run report"), for colouring a diagram.
public struct RunStatuses: Sendable {
    public var folder: URL
    public var statuses: [String: NodeStatus]
    /// Output files by node id, absolute.
    public var outputs: [String: URL]

    /// `path` is a run folder or its `run.json`.
    public static func read(_ path: String) throws(InputFileError) -> RunStatuses {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("run.json")
        }
        let bytes = try InputFileError.readFile(url.path)
        struct Report: Decodable {
            struct Node: Decodable { var id: String; var status: String; var output: String? }
            var nodes: [Node]
        }
        guard let report = try? JSONDecoder().decode(Report.self, from: Data(bytes)) else {
            throw InputFileError(path: url.path, reason: "not a SceneFlow run report (expected {\"nodes\": [{\"id\", \"status\"}]})")
        }
        let folder = url.deletingLastPathComponent()
        var statuses: [String: NodeStatus] = [:], outputs: [String: URL] = [:]
        for node in report.nodes {
            statuses[node.id] = NodeStatus(rawValue: node.status) ?? .pending
            if let output = node.output { outputs[node.id] = folder.appendingPathComponent(output) }
        }
        return RunStatuses(folder: folder, statuses: statuses, outputs: outputs)
    }
}
