import Foundation
import SceneFlowBasics
import SceneFlowTemplate

#if canImport(Glibc)
import Glibc
#endif

/// Where SceneFlow keeps state: `.sceneflow/` in the current directory, unless `--workspace DIR`
/// or `SCENEFLOW_HOME` says otherwise (CLI contract, "Workspace").
///
///     cache/objects/ab/<key>.<ext>   content-addressed outputs, shared by every run (read-only files)
///     cache/objects/ab/<key>.json    what made each output (model, provider, request id, cost, digest)
///     cache/simulated/               placeholders of rehearsals (`--simulate`), never read by a real run
///     cache/inputs/ab/<sha>.<ext>    input files as runs read them, pinned by content (`InputPins`)
///     index/<template>/<node>.json   the last cache key of each node, for `explain`
///     journal/<key>.json             remote jobs submitted and not yet stored (fal request ids)
///     runs/<run-id>/                 run.json, the run's outputs, its diagram
///     tmp/<run-id>/                  scratch folders of a run's jobs (removed as they end)
///
/// Every path the program writes or removes under the workspace is checked to be inside it
/// (symlinks resolved) at the point of use: ids already pass one rule (`Slug`), this is the
/// second line of defence.
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
    /// The input files runs read, pinned by content (`InputPins`).
    public var inputPinsDirectory: URL { root.appendingPathComponent("cache/inputs") }
    /// Rehearsals' placeholders: a cache of their own, so a simulated run never satisfies a real one.
    public var simulatedCacheDirectory: URL { root.appendingPathComponent("cache/simulated") }
    /// Avatar and background images downloaded from https URLs, one file per URL.
    public var remoteImagesDirectory: URL { root.appendingPathComponent("remote-images") }
    public var indexDirectory: URL { root.appendingPathComponent("index") }
    public var runsDirectory: URL { root.appendingPathComponent("runs") }
    public var scratchDirectory: URL { root.appendingPathComponent("tmp") }

    /// The workspace's own folders and files, with what each is: no run folder may lie inside one.
    public var machinery: [(URL, String)] {
        [(root.appendingPathComponent("cache"), "cache"), (scratchDirectory, "scratch folder (tmp/)"),
         (root.appendingPathComponent("assets"), "stored assets"), (root.appendingPathComponent("journal"), "request journal"),
         (indexDirectory, "explain index"), (remoteImagesDirectory, "downloaded images"),
         (root.appendingPathComponent("sceneflow.sqlite"), "database")]
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Creates the workspace's folders; a path that is a file, or cannot be created, is a clear error.
    public func create() throws(Problem) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw Problem(description: "the workspace \(root.path) is a file, not a folder")
        }
        for directory in [cacheDirectory, indexDirectory, runsDirectory, scratchDirectory] {
            do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
                throw Problem(description: "cannot create the workspace at \(root.path): \(RunFolder.reason(error))")
            }
        }
    }

    /// A new, unique run id: sortable by time, `20261126-071939-0a6d278a` (the hex part keeps its leading zeros).
    /// The name this process records as its host in team mode: `SCENEFLOW_HOST_NAME`, else the
    /// machine's (containers that share a host name set it apart).
    public static var hostName: String {
        if let name = ProcessInfo.processInfo.environment["SCENEFLOW_HOST_NAME"], !name.isEmpty { return name }
        var buffer = [UInt8](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    public static func newRunID(date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(formatter.string(from: date))-\(String(format: "%08x", UInt32.random(in: 0...UInt32.max)))"
    }

    // MARK: Containment

    /// Whether `url`, with every symlink in its existing part resolved, lies inside `root`.
    public static func isInside(_ url: URL, root: URL) -> Bool {
        let base = resolved(root).path
        let path = resolved(url).path
        return path.hasPrefix(base.hasSuffix("/") ? base : base + "/")
    }

    /// `url` made absolute and standardized, with the symlinks of its longest existing prefix resolved.
    static func resolved(_ url: URL) -> URL {
        var existing = url.standardizedFileURL
        var tail: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            tail.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()
        }
        var result = URL(fileURLWithPath: realpath(existing.path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? existing.path)
        for component in tail { result.appendPathComponent(component) }
        return result.standardizedFileURL
    }

    /// Removes `url` recursively only if it lies inside this workspace; anything else is left
    /// alone (and reported by the return value).
    @discardableResult
    public func remove(_ url: URL) -> Bool {
        guard Self.isInside(url, root: root) else { return false }
        try? FileManager.default.removeItem(at: url)
        return true
    }

    /// Removes a run's scratch folder (only inside the workspace's `tmp/`, or the system's
    /// temporary folder for a run without a workspace).
    public static func removeScratch(_ folder: URL, workspace: Workspace?) {
        let root = workspace?.scratchDirectory ?? FileManager.default.temporaryDirectory
        guard isInside(folder, root: root) else { return }
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: Scratch folders of dead runs

    /// Marks `tmp/<runID>/` as owned by this process, so a later run can tell it was left
    /// behind. A run whose scratch cannot be claimed must not start: another process's cleanup
    /// would take it for a dead run's and remove it under the live one.
    public func claimScratch(runID: String) throws(Problem) {
        let folder = scratchDirectory.appendingPathComponent(runID)
        guard Self.isInside(folder, root: scratchDirectory) else {
            throw Problem(description: "the scratch folder of run \(runID) would be outside the workspace")
        }
        let owner = Data("\(getpid()) \(Self.processStartTime(getpid()) ?? "")".utf8)
        do {
            try FileManager.default.createDirectory(at: scratchDirectory, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: folder.path) {
                try AtomicFile.write(owner, to: folder.appendingPathComponent(".owner"))
                return
            }
            // Made whole under a name the sweep of another process leaves alone, then renamed:
            // the folder never exists without its owner.
            let claim = scratchDirectory.appendingPathComponent(".claim-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: claim, withIntermediateDirectories: false)
            try AtomicFile.write(owner, to: claim.appendingPathComponent(".owner"))
            guard rename(claim.path, folder.path) == 0 else {
                let reason = ErrorText.sentence(errno: errno)
                try? FileManager.default.removeItem(at: claim)
                throw Problem(description: "cannot claim the scratch folder \(folder.path): \(reason)")
            }
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(description: "cannot claim the scratch folder \(folder.path): \(RunFolder.reason(error))")
        }
    }

    /// How long a scratch folder without an owner (an upload in progress, a claim being made) is
    /// left alone before the sweep takes it for abandoned.
    public static let unownedScratchAge: TimeInterval = 3600

    /// Removes scratch folders whose owning process is gone (a `kill -9`, a power loss), and
    /// unowned ones older than `unownedScratchAge`. A folder another process is claiming or
    /// filling (no owner yet, or a `.claim-` name) is younger than that, so it is left alone.
    /// Returns their names.
    @discardableResult
    public func removeStaleScratch() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: scratchDirectory.path)) ?? []
        var removed: [String] = []
        for name in entries {
            let folder = scratchDirectory.appendingPathComponent(name)
            let ownerText = try? String(contentsOf: folder.appendingPathComponent(".owner"), encoding: .utf8)
            if let ownerText, !name.hasPrefix(".") {
                let owner = ownerText.split(separator: " ").map(String.init)
                if let pid = owner.first.flatMap({ Int32($0) }), Self.processStartTime(pid) == (owner.count > 1 ? owner[1] : nil) { continue }
            } else {
                let modified = (try? FileManager.default.attributesOfItem(atPath: folder.path)[.modificationDate] as? Date) ?? .distantPast
                if Date().timeIntervalSince(modified) < Self.unownedScratchAge { continue }
            }
            if remove(folder) { removed.append(name) }
        }
        return removed
    }

    /// A process's start time (from /proc), which with its pid identifies it across pid reuse.
    public static func processStartTime(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
