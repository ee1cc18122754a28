import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// A run's report read back from its folder (or its `run.json`), for diagrams, `explain` and takes.
public struct LoadedRun: Sendable {
    public var report: RunReport
    /// The run folder; the report's `output` names are relative to it.
    public var folder: URL

    public init(report: RunReport, folder: URL) {
        self.report = report
        self.folder = folder
    }

    /// `path` is a run folder or its `run.json`.
    public static func read(_ path: String) throws(InputFileError) -> LoadedRun {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("run.json")
        }
        let bytes = try InputFileError.readFile(url.path)
        do {
            return LoadedRun(report: try RunReport.decoder.decode(RunReport.self, from: Data(bytes)), folder: url.deletingLastPathComponent())
        } catch {
            throw InputFileError(path: url.path, reason: "not a SceneFlow run report (\(Self.describe(error)))")
        }
    }

    /// The absolute file of a node's output, only if it is a plain name inside the run folder.
    public func output(of node: String) -> URL? {
        guard let name = report.node(node)?.output, RunFolder.isPlainName(name) else { return nil }
        return folder.appendingPathComponent(name)
    }

    static func describe(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .keyNotFound(let key, _): return "no \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.map { $0.stringValue }.joined(separator: ".") + ": " + context.debugDescription
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
