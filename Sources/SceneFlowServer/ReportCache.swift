import Foundation
import SceneFlowBasics
import Synchronization

/// The reports `GET /api/v1/runs/{id}` answers with — the route clients poll — kept as the
/// bytes sent (server paths already scrubbed) while their `run.json` is the same version, and
/// the folder each run id names. A report changes only by being written again (a new file
/// renamed into place: a new inode), so a hit costs one `stat`; a run's folder never moves.
/// Bounded: the oldest entries go first.
final class ReportCache: Sendable {
    private struct Entry {
        var folder: URL
        var version: FileVersion?
        var bytes: [UInt8]?
    }
    private struct Table {
        var entries: [String: Entry] = [:]
        var order: [String] = []
    }
    private let table = Mutex(Table())
    let capacity: Int

    init(capacity: Int = 512) { self.capacity = capacity }

    /// The folder of run `id`, if known.
    func folder(of id: String) -> URL? { table.withLock { $0.entries[id]?.folder } }

    /// The answer for run `id` whose report is now at `version`, if it was kept for that version.
    func bytes(of id: String, version: FileVersion) -> [UInt8]? {
        table.withLock { table in
            guard let entry = table.entries[id], entry.version == version else { return nil }
            return entry.bytes
        }
    }

    /// Keeps `folder` for run `id`, and with `version`, the answer for that version of its report.
    func keep(_ id: String, folder: URL, version: FileVersion? = nil, bytes: [UInt8]? = nil) {
        table.withLock { table in
            if table.entries[id] == nil {
                table.order.append(id)
                if table.order.count > capacity {
                    let dropped = table.order.prefix(table.order.count - capacity)
                    for old in dropped { table.entries[old] = nil }
                    table.order.removeFirst(dropped.count)
                }
            }
            table.entries[id] = Entry(folder: folder, version: version, bytes: version == nil ? nil : bytes)
        }
    }
}
