import Foundation
import SceneFlowCore

/// Where a run's files go, and what may be there already.
///
/// Without `--out`, a new folder under the workspace's `runs/`. With `--out DIR`: a new or
/// empty folder, or the folder of an earlier SceneFlow run, whose files (those its `run.json`
/// names, and the report, diagram and edit list) are removed first; the history then marks
/// that run superseded. A folder holding anything else, a file, or a folder inside the cache
/// is refused: `--out` never overwrites what SceneFlow did not write.
public enum RunFolders {
    public static func prepare(out: URL?, runID: String, workspace: Workspace) throws(HydrationError) -> RunFolder {
        guard let out else {
            let folder = workspace.runsDirectory.appendingPathComponent(runID)
            guard Workspace.isInside(folder, root: workspace.runsDirectory) else { throw .folder("run folder \(folder.path) is outside the workspace") }
            return RunFolder(url: folder)
        }
        let url = out.standardizedFileURL
        let cache = workspace.root.appendingPathComponent("cache")
        if Workspace.isInside(url, root: cache) || url.path == cache.path {
            throw .folder("--out \(url.path) is inside the workspace's cache; choose a folder of your own")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return RunFolder(url: url) }
        guard isDirectory.boolValue else { throw .folder("--out \(url.path) is a file, not a folder") }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
            throw .folder("--out \(url.path) cannot be read: \(error.localizedDescription)")
        }
        guard !entries.isEmpty else { return RunFolder(url: url) }
        guard entries.contains("run.json"), let earlier = try? LoadedRun.read(url.path) else {
            throw .folder("--out \(url.path) already holds files that are not a SceneFlow run (\(entries.prefix(3).joined(separator: ", "))\(entries.count > 3 ? ", …" : "")); choose a new or empty folder")
        }
        // Only what the earlier run wrote goes.
        var names = Set(earlier.report.nodes.compactMap(\.output).filter(RunFolder.isPlainName))
        names.formUnion(["run.json", "run.svg", "timeline.json", "final.otio", "captions.srt", "captions.vtt"])
        for name in names.sorted() where entries.contains(name) {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }
        return RunFolder(url: url)
    }
}
