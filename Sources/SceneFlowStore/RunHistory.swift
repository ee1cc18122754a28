import Foundation
import GRDB
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

#if canImport(Glibc)
import Glibc
#endif

extension WorkspaceDatabase {
    /// Records a run as it starts (`running`, with this process's identity), so the history and
    /// the server list it while it runs and a killed run can be told apart later.
    public func begin(_ report: RunReport, folder: URL) throws {
        var record = RunRecord(report, folder: folder)
        record.pid = getpid()
        record.processStart = Workspace.processStartTime(getpid())
        try guarded { try queue.write { db in try record.upsert(db) } }
    }

    /// Records a run as it ends. Another run that wrote into the same folder earlier is marked
    /// superseded: its files there are this run's now.
    public func record(_ report: RunReport, folder: URL) throws {
        let record = RunRecord(report, folder: folder)
        try guarded {
            try queue.write { db in
                try record.upsert(db)
                try db.execute(sql: "UPDATE runs SET superseded_by = ? WHERE folder = ? AND run_id != ? AND superseded_by IS NULL",
                               arguments: [report.runID, folder.path, report.runID])
            }
        }
    }

    public func runs(limit: Int = 20, product: String? = nil, template: String? = nil) throws -> [RunRecord] {
        try guarded {
            try queue.read { db in
                var request = RunRecord.order(Column("started_at").desc, Column("run_id").desc).limit(limit)
                if let product { request = request.filter(Column("product_id") == product) }
                if let template { request = request.filter(Column("template_id") == template) }
                return try request.fetchAll(db)
            }
        }
    }

    /// A run by its id, or by a prefix that names exactly one run.
    public func lookup(_ id: String) throws -> RunLookup {
        try guarded {
            try queue.read { db in
                if let exact = try RunRecord.fetchOne(db, key: id) { return .found(exact) }
                let escaped = id.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                let matches = try RunRecord.filter(sql: "run_id LIKE ? ESCAPE '\\'", arguments: ["\(escaped)%"])
                    .order(Column("run_id")).limit(11).fetchAll(db)
                switch matches.count {
                case 0: return .none
                case 1: return .found(matches[0])
                default: return .ambiguous(matches.map(\.runID))
                }
            }
        }
    }

    /// Runs whose process is gone (`kill -9`, a crash, a power loss) while the history said they
    /// ran. One whose `run.json` says it ended (the history could not be told: a lock held too
    /// long, a full disk) is imported as it ended; one still `running` there is recorded
    /// `interrupted`, with the reason, in the history and in its `run.json`, so the history, the
    /// report, the API, the events and the pages say one thing. A run recorded `running` by a
    /// process that is alive (another `sceneflow run` on this workspace) is left alone. Also mends
    /// the runs an earlier version settled in the history only (`cancelled` there, `running` in
    /// their report). Returns the runs settled.
    @discardableResult
    public func settleAbandonedRuns() throws -> [RunRecord] {
        let settled: [RunRecord] = try guarded {
            try queue.write { db in
                var settled: [RunRecord] = []
                for var run in try RunRecord.filter(["running", "cancelled"].contains(Column("status"))).fetchAll(db) {
                    let onDisk = try? LoadedRun.read(run.folder).report
                    if run.status == "running" {
                        if let pid = run.pid, run.processStart != nil, Workspace.processStartTime(pid) == run.processStart { continue }
                        if let onDisk, onDisk.status.isFinished {
                            var ended = RunRecord(onDisk, folder: URL(fileURLWithPath: run.folder))
                            ended.supersededBy = run.supersededBy
                            try ended.update(db)
                            settled.append(ended)
                            continue
                        }
                    } else {
                        // Settled by an earlier version: only if its report still says running.
                        guard onDisk?.status == .running else { continue }
                    }
                    run.status = RunReport.Status.interrupted.rawValue
                    run.finishedAt = run.finishedAt ?? Date()
                    run.pid = nil
                    run.processStart = nil
                    try run.update(db)
                    settled.append(run)
                }
                return settled
            }
        }
        for run in settled where run.status == RunReport.Status.interrupted.rawValue { try Self.markInterrupted(run) }
        return settled
    }

    /// Rewrites a settled run's `run.json` as interrupted (or writes one, if the run died before
    /// its first), unless a report already says it ended.
    public static func markInterrupted(_ run: RunRecord) throws {
        let folder = RunFolder(url: URL(fileURLWithPath: run.folder))
        let report: RunReport
        if let existing = try? LoadedRun.read(run.folder).report {
            guard existing.status == .running else { return }
            report = existing.interrupted(at: run.finishedAt ?? Date())
        } else {
            guard FileManager.default.fileExists(atPath: run.folder) else { return }
            report = RunReport(runID: run.runID, template: .init(id: run.templateID, sha256: run.templateSHA256, path: run.templatePath),
                               status: .running, simulated: run.simulated, startedAt: run.startedAt, finishedAt: nil, offline: false,
                               productID: run.productID, finalVideo: nil, nodes: []).interrupted(at: run.finishedAt ?? Date())
        }
        do { try folder.write(try report.encoded(), as: "run.json") } catch {
            throw StoreError("run \(run.runID) was interrupted, but its report could not be rewritten: \(error)")
        }
    }
}
