import Foundation

/// Where SceneFlow keeps state: `.sceneflow/` in the current directory, unless `--workspace DIR`
/// or `SCENEFLOW_HOME` says otherwise (CLI contract, "Workspace").
///
///     cache/objects/ab/<key>.<ext>   content-addressed outputs, shared by every run
///     cache/objects/ab/<key>.json    what made each output (model, provider, request id, cost)
///     index/<template>/<node>.json   the last cache key of each node, for `explain`
///     runs/<run-id>/                 run.json, the run's outputs, its diagram
public struct Workspace: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// `explicit` (from `--workspace`) wins, then `SCENEFLOW_HOME`, then `./.sceneflow`.
    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> Workspace {
        if let explicit { return Workspace(root: URL(fileURLWithPath: explicit)) }
        if let home = environment["SCENEFLOW_HOME"], !home.isEmpty { return Workspace(root: URL(fileURLWithPath: home)) }
        return Workspace(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".sceneflow"))
    }

    public var cacheDirectory: URL { root.appendingPathComponent("cache/objects") }
    /// Avatar and background images downloaded from https URLs, one file per URL.
    public var remoteImagesDirectory: URL { root.appendingPathComponent("remote-images") }
    public var indexDirectory: URL { root.appendingPathComponent("index") }
    public var runsDirectory: URL { root.appendingPathComponent("runs") }

    public func create() throws {
        for directory in [cacheDirectory, indexDirectory, runsDirectory] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
    }

    /// A new, unique run folder name: sortable by time.
    public static func newRunID(date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(formatter.string(from: date))-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }
}
