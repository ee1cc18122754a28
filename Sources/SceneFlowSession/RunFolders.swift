import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

#if canImport(Glibc)
import Glibc
#endif

/// Where a run's files go, and what may be there already.
///
/// Without `--out`, a new folder under the workspace's `runs/`. With `--out DIR`: a new or empty
/// folder, or one an earlier run of this workspace wrote. Such a folder says who owns it: a
/// marker (`.sceneflow-run.json`: the workspace, the run, and every file that run delivered)
/// and a lock (`.sceneflow-run.lock`, held with `flock` while a run writes there). So:
///
/// - a folder another run is writing is refused (two runs never share a folder);
/// - a folder of another workspace is refused (histories never point at each other's files);
/// - a folder inside a workspace's own machinery (cache, scratch, database, stored assets,
///   journal, index, downloads) is refused: a later run or cleanup would delete it;
/// - of an earlier run's folder, only the files that run delivered are removed (its per-scene
///   captions and music too), and none that the new run reads as an input;
/// - a folder holding anything else is refused: `--out` never removes what SceneFlow did not write.
public enum RunFolders {
    public static let markerName = ".sceneflow-run.json"
    public static let lockName = ".sceneflow-run.lock"

    /// What a run folder says of itself.
    struct Marker: Codable {
        var workspace: String
        var runID: String
        /// What the run delivered (plain names), once it has ended.
        var files: [String]
        enum CodingKeys: String, CodingKey { case workspace, files; case runID = "run_id" }
    }

    public static func prepare(out: URL?, runID: String, workspace: Workspace, inputs: [URL] = []) throws(HydrationError) -> RunFolder {
        guard let out else {
            let folder = workspace.runsDirectory.appendingPathComponent(runID)
            guard Workspace.isInside(folder, root: workspace.runsDirectory) else { throw .folder("run folder \(folder.path) is outside the workspace") }
            return RunFolder(url: folder)
        }
        let url = out.standardizedFileURL
        for (machinery, what) in workspace.machinery where url.path == machinery.path || Workspace.isInside(url, root: machinery) {
            throw .folder("--out \(url.path) is inside the workspace's \(what); choose a folder of your own (or leave --out out: runs go to \(workspace.runsDirectory.path))")
        }
        if url.path == workspace.root.path { throw .folder("--out \(url.path) is the workspace itself; choose a folder of your own") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .folder("--out \(url.path) is a file, not a folder")
        }
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw .folder("--out \(url.path) cannot be created: \(RunFolder.reason(error))")
        }
        let lock = try lockFolder(url)
        let marker = readMarker(url)
        do {
            return try take(url, lock: lock, marker: marker, runID: runID, workspace: workspace, inputs: inputs)
        } catch {
            // A folder refused keeps nothing of ours (unless an earlier run's marker says it is ours).
            if marker == nil { unlink(url.appendingPathComponent(lockName).path) }
            throw error
        }
    }

    private static func take(_ url: URL, lock: RunFolder.Lock, marker: Marker?, runID: String, workspace: Workspace,
                             inputs: [URL]) throws(HydrationError) -> RunFolder {
        if let marker, marker.workspace != workspace.root.path {
            throw .folder("--out \(url.path) holds run \(marker.runID) of another workspace (\(marker.workspace)); choose another folder, or use that workspace")
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0 != markerName && $0 != lockName } } catch {
            throw .folder("--out \(url.path) cannot be read: \(RunFolder.reason(error))")
        }
        var delivered: Set<String> = []
        if !entries.isEmpty {
            if let marker {
                delivered = Set(marker.files)
            } else if entries.contains("run.json"), let earlier = try? LoadedRun.read(url.path) {
                // A folder of a version without markers: what such a run wrote, by name.
                delivered = legacyDeliveries(earlier, entries: entries)
            } else {
                throw .folder("--out \(url.path) already holds files that are not a SceneFlow run (\(entries.prefix(3).joined(separator: ", "))\(entries.count > 3 ? ", …" : "")); choose a new or empty folder")
            }
        }
        let removable = delivered.filter { RunFolder.isPlainName($0) && entries.contains($0) }
        let read = Set(inputs.map { $0.resolvingSymlinksInPath().standardizedFileURL.path })
        for name in removable.sorted() where read.contains(url.appendingPathComponent(name).resolvingSymlinksInPath().standardizedFileURL.path) {
            throw .folder("\(name) in --out \(url.path) is a file the earlier run delivered, and this run reads it as an input; copy it elsewhere first (the new run replaces the folder's files)")
        }
        for name in removable.sorted() {
            do { try FileManager.default.removeItem(at: url.appendingPathComponent(name)) } catch {
                throw .folder("--out \(url.path): the earlier run's \(name) cannot be removed: \(RunFolder.reason(error))")
            }
        }
        do { try writeMarker(Marker(workspace: workspace.root.path, runID: runID, files: []), in: url) } catch {
            throw .folder("--out \(url.path) cannot be marked as this run's: \(ErrorText.describe(error))")
        }
        var folder = RunFolder(url: url)
        folder.ownership = RunFolder.Ownership(lock: lock, present: Set(entries).subtracting(removable))
        return folder
    }

    /// Notes in the folder's marker every file the run delivered (what was not there when it
    /// started), so the next run in the folder removes exactly those.
    public static func finish(_ folder: RunFolder, runID: String, workspace: Workspace) throws {
        guard let ownership = folder.ownership else { return }
        let now = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
            .filter { $0 != markerName && $0 != lockName && !$0.hasPrefix(".") }
        let files = Set(now).subtracting(ownership.present).sorted()
        try writeMarker(Marker(workspace: workspace.root.path, runID: runID, files: files), in: folder.url)
    }

    static func lockFolder(_ url: URL) throws(HydrationError) -> RunFolder.Lock {
        let path = url.appendingPathComponent(lockName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .folder("--out \(url.path) cannot be locked: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            let owner = readMarker(url).map { "run \($0.runID)" } ?? "another run"
            throw .folder("--out \(url.path) is in use by \(owner), which is still writing there; wait for it to end or choose another folder")
        }
        return RunFolder.Lock(descriptor: fd)
    }

    static func readMarker(_ url: URL) -> Marker? {
        FileManager.default.contents(atPath: url.appendingPathComponent(markerName).path).flatMap { try? JSONCoding.decoder.decode(Marker.self, from: $0) }
    }

    static func writeMarker(_ marker: Marker, in url: URL) throws {
        try AtomicFile.write(try JSONCoding.pretty.encode(marker), to: url.appendingPathComponent(markerName))
    }

    /// What a run of an earlier version wrote in its folder: its nodes' outputs, its report,
    /// diagram and edit, its captions (each scene's too) and its music.
    static func legacyDeliveries(_ earlier: LoadedRun, entries: [String]) -> Set<String> {
        var names = Set(earlier.report.nodes.compactMap(\.output))
        names.formUnion(["run.json", "run.svg", "timeline.json", "final.otio", "captions.srt", "captions.vtt"])
        let scenes = Set(earlier.report.nodes.compactMap { $0.id.split(separator: ".").first.map(String.init) })
        for entry in entries {
            if entry.hasPrefix("music.") { names.insert(entry) }
            if entry.hasSuffix(".captions.srt") || entry.hasSuffix(".captions.vtt"),
               scenes.contains(String(entry.prefix { $0 != "." })) { names.insert(entry) }
        }
        return names
    }
}
