import Foundation
import PostgresNIO
import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore
import SceneFlowTemplate

#if canImport(Glibc)
import Glibc
#endif

/// Team mode's store: assets' rows, the run history and picked takes in PostgreSQL, the assets'
/// bytes in a shared `BlobStore` (a folder every host mounts, or an S3-compatible bucket) read
/// through a folder of this host.
///
/// The same protocols as the workspace's SQLite database, with the same promises across hosts:
/// a blob is in the store before a row names it, and a blob no row names is deleted only under
/// the same per-digest lock (`pg_advisory_xact_lock`) that an add takes to check it, so an `assets
/// remove` racing an `assets add` of the same file on another host never leaves a row without
/// its bytes. A run's report is kept in its row, so any host can show any run.
public final class PostgresStore: AssetStore, RunHistoryStore, TakePickStore, @unchecked Sendable {
    public let pool: PostgresPool
    public let blobs: any BlobStore
    /// Where incoming files are staged on this host.
    public let staging: URL
    /// This host's name, recorded with the runs it starts (a dead process is told only on its own host).
    public let host: String

    /// Opens the store; the schema must be this SceneFlow's (`Migrations.check`).
    public init(pool: PostgresPool, blobs: any BlobStore, staging: URL, host: String = PostgresStore.hostName) throws {
        self.pool = pool
        self.blobs = blobs
        self.staging = staging
        self.host = host
        try Migrations.check(pool)
    }

    /// The name this process records as its host (`Workspace.hostName`).
    public static var hostName: String { Workspace.hostName }

    func name(_ asset: StoredAsset) -> String { "\(asset.sha256).\(asset.mediaType)" }

    // MARK: Assets

    public func addAssets(product: String, key: String, files: [URL], slotType: SlotType?, append: Bool) throws -> [StoredAsset] {
        let incoming = try AssetIntake.receive(product: product, key: key, files: files, slotType: slotType, append: append, staging: staging)
        defer { for item in incoming { try? FileManager.default.removeItem(at: item.temporary) } }
        // Bytes first (outside any transaction: an upload can take a while; the staged file is
        // kept until the rows are in). Bytes already there are checked: damaged ones (written
        // behind SceneFlow's back) are replaced by the file being added …
        for item in incoming {
            let blob = name(item.asset)
            try blobStep {
                if try blobs.contains(blob), try !blobs.verify(blob, sha256: item.asset.sha256) {
                    try blobs.remove(blob)
                }
                try blobs.store(copyOf: item.temporary, as: blob)
            }
        }
        // … then the rows, after checking under each digest's lock that the bytes are still
        // there (a concurrent remove may have collected them meanwhile: then they go in again).
        let replaced: [StoredAsset] = try pool.transaction { tx in
            for sha in Set(incoming.map(\.asset.sha256)).sorted() { try Self.lockDigest(sha, tx) }
            for item in incoming where try !blobStep({ try blobs.contains(name(item.asset)) }) {
                try blobStep { try blobs.store(copyOf: item.temporary, as: name(item.asset)) }
            }
            var old: [StoredAsset] = []
            if !append {
                old = try tx.query("DELETE FROM sceneflow_assets WHERE product_id = $1 AND key = $2 RETURNING *",
                                   [PostgresData(string: product), PostgresData(string: key)]).map(Self.asset)
            }
            for item in incoming {
                let a = item.asset
                try tx.execute("""
                    INSERT INTO sceneflow_assets (product_id, key, sha256, media_type, size, original_name, added_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (product_id, key, sha256) DO UPDATE SET media_type = excluded.media_type, size = excluded.size,
                        original_name = excluded.original_name, added_at = excluded.added_at
                    """, [PostgresData(string: a.productID), PostgresData(string: a.key), PostgresData(string: a.sha256),
                          PostgresData(string: a.mediaType), PostgresData(int64: a.size), PostgresData(string: a.originalName),
                          PostgresData(date: a.addedAt)])
            }
            return old.filter { o in !incoming.contains { $0.asset.sha256 == o.sha256 } }
        }
        try collect(replaced)
        return incoming.map(\.asset)
    }

    public func removeAssets(product: String, key: String?, sha256: String?) throws -> [StoredAsset] {
        if let sha256, sha256.count < 8 || !sha256.allSatisfy(\.isHexDigit) {
            throw StoreError("--sha256 takes at least 8 hex digits of a digest (`assets list` shows 12), got \"\(Slug.shown(sha256))\"")
        }
        let removed: [StoredAsset] = try pool.transaction { tx in
            var sql = "SELECT * FROM sceneflow_assets WHERE product_id = $1"
            var binds = [PostgresData(string: product)]
            if let key { binds.append(PostgresData(string: key)); sql += " AND key = $\(binds.count)" }
            if let sha256 { binds.append(PostgresData(string: sha256.lowercased() + "%")); sql += " AND sha256 LIKE $\(binds.count)" }
            let rows = try tx.query(sql + " FOR UPDATE", binds).map(Self.asset)
            let digests = Set(rows.map(\.sha256))
            if sha256 != nil, digests.count > 1 {
                throw StoreError("\(sha256!) matches \(digests.count) files: \(digests.map { String($0.prefix(16)) }.sorted().joined(separator: ", ")); give more of the digest")
            }
            try tx.execute("DELETE FROM " + String(sql.dropFirst("SELECT * FROM ".count)), binds)
            return rows
        }
        try collect(removed)
        return removed
    }

    /// Deletes the blobs of `assets` that no row names any more, each under its digest's lock.
    func collect(_ assets: [StoredAsset]) throws {
        for asset in Dictionary(assets.map { ($0.sha256, $0) }, uniquingKeysWith: { a, _ in a }).values.sorted(by: { $0.sha256 < $1.sha256 }) {
            try pool.transaction { tx in
                try Self.lockDigest(asset.sha256, tx)
                let left = try tx.query("SELECT count(*) FROM sceneflow_assets WHERE sha256 = $1", [PostgresData(string: asset.sha256)])
                guard try left.first?.makeRandomAccess()[0].decode(Int.self) == 0 else { return }
                try blobStep { try blobs.remove(name(asset)) }
            }
        }
    }

    static func lockDigest(_ sha256: String, _ tx: PostgresTransaction) throws {
        try tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [PostgresData(string: "asset:" + sha256)])
    }

    public func assets(product: String) throws -> [StoredAsset] {
        try pool.query("SELECT * FROM sceneflow_assets WHERE product_id = $1 ORDER BY key, added_at, seq", [PostgresData(string: product)]).map(Self.asset)
    }

    public func products() throws -> [(product: String, assets: Int)] {
        try pool.query("SELECT product_id, count(*) FROM sceneflow_assets GROUP BY product_id ORDER BY product_id").map { row in
            let r = row.makeRandomAccess()
            return (try r[0].decode(String.self), try r[1].decode(Int.self))
        }
    }

    /// The local copy of an asset's bytes (fetched from the shared store when this host has none).
    public func file(of asset: StoredAsset) -> URL {
        blobs.locate(name(asset)) ?? staging.appendingPathComponent(name(asset))
    }

    public func hydrationInputs(product: String, except keys: Set<String>, requireAssets: Bool) throws -> HydrationInputs {
        try hydrationInputs(product: product, except: keys, requireAssets: requireAssets) { asset in try blobStep { try blobs.fetch(name(asset)) } }
    }

    /// A blob store's failure as the store's.
    func blobStep<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as BlobStoreError {
            throw StoreError(error.description, unavailable: error.isTransient)
        }
    }

    static func asset(_ row: PostgresRow) throws -> StoredAsset {
        let r = row.makeRandomAccess()
        return StoredAsset(productID: try r["product_id"].decode(String.self), key: try r["key"].decode(String.self),
                           sha256: try r["sha256"].decode(String.self), mediaType: try r["media_type"].decode(String.self),
                           size: try r["size"].decode(Int64.self), originalName: try r["original_name"].decode(String.self),
                           addedAt: try r["added_at"].decode(Date.self))
    }

    // MARK: Run history

    // MARK: Fences

    /// Runs a worker of this process hydrates through the queue, with the claim each is held by.
    let fences = Locked<[String: JobQueue.ClaimedJob]>([:])

    /// From now on, every history write of `runID` by this store (its start, its progress, its
    /// end) is made only while `job` still holds the run's queue job under its attempt, checked
    /// in the write's own transaction: a worker that was paused or cut off while another took
    /// the run over writes nothing over the new attempt (`lift` ends it).
    public func fence(_ runID: String, by job: JobQueue.ClaimedJob) {
        fences.mutate { $0[runID] = job }
    }

    /// Lifts `job`'s fence on `runID` (a later attempt's fence, set meanwhile, stays).
    public func lift(_ runID: String, for job: JobQueue.ClaimedJob) {
        fences.mutate { if $0[runID]?.id == job.id && $0[runID]?.attempt == job.attempt { $0[runID] = nil } }
    }

    /// Whether this process may write `runID`'s history row now (locks the queue job's row).
    func fenceHolds(_ runID: String, _ tx: PostgresTransaction) throws -> Bool {
        guard let job = fences.value[runID] else { return true }
        return !(try tx.query("SELECT 1 FROM sceneflow_jobs WHERE id = $1 AND attempt = $2 AND state = 'running' FOR UPDATE",
                              [PostgresData(int64: job.id), PostgresData(int64: Int64(job.attempt))]).isEmpty)
    }

    public func begin(_ report: RunReport, folder: URL) throws {
        var record = RunRecord(report, folder: folder)
        record.pid = getpid()
        record.processStart = Workspace.processStartTime(getpid())
        try pool.transaction { tx in
            guard try fenceHolds(report.runID, tx) else { throw StoreError("run \(report.runID) was taken over by another worker; this attempt does not start") }
            try upsert(record, report: report, tx)
        }
    }

    public func record(_ report: RunReport, folder: URL) throws {
        try pool.transaction { tx in
            // A run taken over by another worker: this attempt's end is not recorded.
            guard try fenceHolds(report.runID, tx) else { return }
            try upsert(RunRecord(report, folder: folder), report: report, tx)
            // Another run that wrote into the same folder of the same host earlier: superseded.
            try tx.execute("UPDATE sceneflow_runs SET superseded_by = $1 WHERE folder = $2 AND host = $3 AND run_id <> $1 AND superseded_by IS NULL",
                           [PostgresData(string: report.runID), PostgresData(string: folder.path), PostgresData(string: host)])
        }
    }

    func upsert(_ record: RunRecord, report: RunReport, _ tx: PostgresTransaction? = nil) throws {
        var record = record
        // A queued run (submitted, or handed back by a worker that stopped) has no host's folder.
        if report.status == .queued { record.folder = Self.queuedFolder }
        let reportText = (try? JSONCoding.compact.encode(report)).map { String(decoding: $0, as: UTF8.self) }
        func optional(_ value: String?) -> PostgresData { value.map { PostgresData(string: $0) } ?? .null }
        let binds: [PostgresData] = [
            PostgresData(string: record.runID), PostgresData(string: record.templateID), PostgresData(string: record.templateSHA256),
            optional(record.templatePath), optional(record.productID), PostgresData(string: record.status),
            PostgresData(date: record.startedAt), record.finishedAt.map { PostgresData(date: $0) } ?? .null,
            PostgresData(int64: record.costMicros), PostgresData(bool: record.costEstimated), PostgresData(bool: record.simulated),
            PostgresData(string: record.folder), optional(record.finalVideo), PostgresData(string: record.counts),
            PostgresData(string: host), record.pid.map { PostgresData(int64: Int64($0)) } ?? .null, optional(record.processStart),
            optional(reportText),
        ]
        let sql = """
            INSERT INTO sceneflow_runs (run_id, template_id, template_sha256, template_path, product_id, status, started_at, finished_at,
                cost_micros, cost_estimated, simulated, folder, final_video, counts, host, pid, process_start, report)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            ON CONFLICT (run_id) DO UPDATE SET template_id = excluded.template_id, template_sha256 = excluded.template_sha256,
                template_path = excluded.template_path, product_id = excluded.product_id, status = excluded.status,
                started_at = excluded.started_at, finished_at = excluded.finished_at, cost_micros = excluded.cost_micros,
                cost_estimated = excluded.cost_estimated, simulated = excluded.simulated, folder = excluded.folder,
                final_video = excluded.final_video, counts = excluded.counts, host = excluded.host, pid = excluded.pid,
                process_start = excluded.process_start, report = excluded.report
            """
        if let tx { try tx.execute(sql, binds) } else { try pool.query(sql, binds) }
    }

    public func runs(limit: Int, product: String?, template: String?) throws -> [RunRecord] {
        var sql = "SELECT \(Self.runColumns) FROM sceneflow_runs"
        var binds: [PostgresData] = []
        var conditions: [String] = []
        if let product { binds.append(PostgresData(string: product)); conditions.append("product_id = $\(binds.count)") }
        if let template { binds.append(PostgresData(string: template)); conditions.append("template_id = $\(binds.count)") }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        binds.append(PostgresData(int64: Int64(max(0, limit))))
        sql += " ORDER BY started_at DESC, run_id DESC LIMIT $\(binds.count)"
        return try pool.query(sql, binds).map(run)
    }

    public func lookup(_ id: String) throws -> RunLookup {
        if let exact = try pool.query("SELECT \(Self.runColumns) FROM sceneflow_runs WHERE run_id = $1", [PostgresData(string: id)]).first {
            return .found(try run(exact))
        }
        let escaped = id.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        let matches = try pool.query("SELECT \(Self.runColumns) FROM sceneflow_runs WHERE run_id LIKE $1 ESCAPE '\\' ORDER BY run_id LIMIT 11",
                                     [PostgresData(string: escaped + "%")]).map(run)
        switch matches.count {
        case 0: return .none
        case 1: return .found(matches[0])
        default: return .ambiguous(matches.map(\.runID))
        }
    }

    public var keepsProgress: Bool { true }

    public func progress(_ report: RunReport) throws {
        guard report.status == .running else { return }
        let reportText = String(decoding: try JSONCoding.compact.encode(report), as: UTF8.self)
        let counts = String(decoding: try JSONCoding.compact.encode(report.counts), as: UTF8.self)
        // Only the process that began the run moves it (a worker cut off while another took the
        // run over writes nothing over the new attempt).
        try pool.transaction { tx in
            guard try fenceHolds(report.runID, tx) else { return }
            try tx.execute("""
                UPDATE sceneflow_runs SET report = $2, counts = $3, cost_micros = $4
                WHERE run_id = $1 AND status = 'running' AND host = $5 AND pid = $6
                """, [PostgresData(string: report.runID), PostgresData(string: reportText), PostgresData(string: counts), PostgresData(int64: report.cost.micros),
                      PostgresData(string: host), PostgresData(int64: Int64(getpid()))])
        }
    }

    /// A running run is asked (its process polls the flag); a queued run no worker holds is
    /// cancelled here and now, its queue job with it, in one transaction.
    public func requestCancel(_ runID: String) throws -> Bool {
        try pool.transaction { tx in
            let unclaimed = try tx.query("""
                UPDATE sceneflow_jobs SET state = 'failed', error = 'cancelled while queued', finished_at = clock_timestamp()
                WHERE run_id = $1 AND provider = $2 AND state IN ('ready', 'waiting') RETURNING id
                """, [PostgresData(string: runID), PostgresData(string: JobQueue.runProvider)])
            if !unclaimed.isEmpty, try Self.endUnstarted(runID, status: .cancelled, reason: "cancelled while queued (no worker held it)", tx) {
                return true
            }
            return try !tx.query("UPDATE sceneflow_runs SET cancel_requested_at = clock_timestamp() WHERE run_id = $1 AND status IN ('running', 'queued') RETURNING run_id",
                                 [PostgresData(string: runID)]).isEmpty
        }
    }

    /// Puts runs in the queue (`run --detach`, `batch --detach`): each run's history row
    /// (`queued`, its report every node pending) and its queue job (`DetachedRun` as payload),
    /// all in one transaction, so a run is either fully queued or not at all; idle workers are
    /// woken.
    public func enqueue(_ runs: [(report: RunReport, payload: String)]) throws {
        try pool.transaction { tx in
            for (report, payload) in runs {
                try upsert(RunRecord(report, folder: URL(fileURLWithPath: "/")), report: report, tx)
                try tx.execute("""
                    INSERT INTO sceneflow_jobs (run_id, node, provider, payload, pending, state, ready_at)
                    VALUES ($1, $2, $2, $3, 0, 'ready', clock_timestamp())
                    """, [PostgresData(string: report.runID), PostgresData(string: JobQueue.runProvider), PostgresData(string: payload)])
            }
            try tx.execute("SELECT pg_notify($1, $2)", [PostgresData(string: JobQueue.channel), PostgresData(string: JobQueue.runProvider)])
        }
    }

    /// Ends a queued run that never started on this host (its description could not be read,
    /// its inputs fetched, or a check failed on the worker): its row says why, its folder stays
    /// `(queued)` (no host has its files). False if the row is no longer queued or running here.
    /// With `queued`, the run stays in the queue and its row says why it waits. Fenced like
    /// every write of a worker's run.
    public func endUnstarted(_ runID: String, status: RunReport.Status, reason: String) throws -> Bool {
        try pool.transaction { tx in
            guard try fenceHolds(runID, tx) else { return false }
            return try Self.endUnstarted(runID, status: status, reason: reason, tx)
        }
    }

    static func endUnstarted(_ runID: String, status: RunReport.Status, reason: String, _ tx: PostgresTransaction) throws -> Bool {
        guard let row = try tx.query("SELECT report FROM sceneflow_runs WHERE run_id = $1 AND status IN ('queued', 'running') FOR UPDATE",
                                     [PostgresData(string: runID)]).first else { return false }
        var report = try row.makeRandomAccess()[0].decode(String?.self).flatMap { try? JSONCoding.decoder.decode(RunReport.self, from: Data($0.utf8)) }
        let ends = status.isFinished
        report?.status = status
        report?.finishedAt = ends ? Date() : nil
        report?.stopReason = reason
        let text = try report.map { String(decoding: try JSONCoding.compact.encode($0), as: UTF8.self) }
        try tx.execute("""
            UPDATE sceneflow_runs SET status = $2, finished_at = CASE WHEN $4 THEN clock_timestamp() END, report = coalesce($3, report), pid = NULL,
                folder = CASE WHEN $2 = 'queued' THEN $5 ELSE folder END
            WHERE run_id = $1
            """, [PostgresData(string: runID), PostgresData(string: status.rawValue), text.map { PostgresData(string: $0) } ?? .null,
                  PostgresData(bool: ends), PostgresData(string: queuedFolder)])
        return true
    }

    /// The folder a queued run's row names until a worker takes it (no host's folder).
    public static let queuedFolder = "(queued)"

    public func cancelRequested(_ runID: String) throws -> Bool {
        try !pool.query("SELECT 1 FROM sceneflow_runs WHERE run_id = $1 AND cancel_requested_at IS NOT NULL", [PostgresData(string: runID)]).isEmpty
    }

    /// A run's report as its host recorded it (any host can show any run).
    public func report(of runID: String) throws -> RunReport? {
        guard let row = try pool.query("SELECT report FROM sceneflow_runs WHERE run_id = $1", [PostgresData(string: runID)]).first,
              let text = try row.makeRandomAccess()[0].decode(String?.self) else { return nil }
        return try? JSONCoding.decoder.decode(RunReport.self, from: Data(text.utf8))
    }

    /// Runs of this host whose process is gone while the history says they run: settled as
    /// their `run.json` says, or `interrupted`. Runs of other hosts are theirs to settle.
    public func settleAbandonedRuns() throws -> [RunRecord] {
        // A run a worker holds through the queue is the queue's to settle: its job's lease runs
        // out and another worker takes it on.
        let candidates = try pool.query("""
            SELECT \(Self.runColumns) FROM sceneflow_runs r WHERE status = 'running' AND host = $1
            AND NOT EXISTS (SELECT 1 FROM sceneflow_jobs j WHERE j.run_id = r.run_id AND j.state IN ('ready', 'waiting', 'running'))
            """, [PostgresData(string: host)]).map(run)
        var settled: [RunRecord] = []
        for var run in candidates {
            if let pid = run.pid, run.processStart != nil, Workspace.processStartTime(pid) == run.processStart { continue }
            if let onDisk = try? LoadedRun.read(run.folder).report, onDisk.status.isFinished {
                try record(onDisk, folder: URL(fileURLWithPath: run.folder))
                settled.append(RunRecord(onDisk, folder: URL(fileURLWithPath: run.folder)))
                continue
            }
            run.status = RunReport.Status.interrupted.rawValue
            run.finishedAt = run.finishedAt ?? Date()
            try pool.query("UPDATE sceneflow_runs SET status = $1, finished_at = $2, pid = NULL, process_start = NULL WHERE run_id = $3 AND status = 'running'",
                           [PostgresData(string: run.status), PostgresData(date: run.finishedAt!), PostgresData(string: run.runID)])
            try WorkspaceDatabase.markInterrupted(run)
            settled.append(run)
        }
        return settled
    }

    /// Every column of a history row but the report (read only by `report(of:)`).
    static let runColumns = "host, run_id, template_id, template_sha256, template_path, product_id, status, started_at, finished_at, cost_micros, cost_estimated, simulated, folder, final_video, counts, superseded_by, pid, process_start"

    /// A history row. A run of another host keeps its folder there: it is shown as
    /// `host:/path`, which no code on this host takes for a folder of its own.
    func run(_ row: PostgresRow) throws -> RunRecord {
        let r = row.makeRandomAccess()
        let runHost = try r["host"].decode(String?.self)
        var record = RunRecord(runID: try r["run_id"].decode(String.self), templateID: try r["template_id"].decode(String.self),
                               templateSHA256: try r["template_sha256"].decode(String.self), startedAt: try r["started_at"].decode(Date.self),
                               status: try r["status"].decode(String.self), folder: try r["folder"].decode(String.self),
                               counts: try r["counts"].decode(String.self))
        record.templatePath = try r["template_path"].decode(String?.self)
        record.productID = try r["product_id"].decode(String?.self)
        record.finishedAt = try r["finished_at"].decode(Date?.self)
        record.costMicros = try r["cost_micros"].decode(Int64.self)
        record.cost = Double(record.costMicros) / 1_000_000
        record.costEstimated = try r["cost_estimated"].decode(Bool.self)
        record.simulated = try r["simulated"].decode(Bool.self)
        record.finalVideo = try r["final_video"].decode(String?.self)
        record.supersededBy = try r["superseded_by"].decode(String?.self)
        record.pid = try r["pid"].decode(Int32?.self)
        record.processStart = try r["process_start"].decode(String?.self)
        if record.folder == Self.queuedFolder { return record }
        if let runHost, runHost != host {
            record.folder = "\(runHost):\(record.folder)"
            record.finalVideo = record.finalVideo.map { "\(runHost):\($0)" }
            record.pid = nil
        }
        return record
    }

    // MARK: Picks

    public func pick(_ pick: TakePick) throws {
        try pool.query("""
            INSERT INTO sceneflow_take_picks (template_id, job_key, take, node, run_id, picked_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (template_id, job_key) DO UPDATE SET take = excluded.take, node = excluded.node, run_id = excluded.run_id, picked_at = excluded.picked_at
            """, [PostgresData(string: pick.templateID), PostgresData(string: pick.jobKey), PostgresData(int64: Int64(pick.take)),
                  PostgresData(string: pick.node), PostgresData(string: pick.runID), PostgresData(date: pick.pickedAt)])
    }

    public func picks(template: String) throws -> [String: Int] {
        Dictionary(try pool.query("SELECT job_key, take FROM sceneflow_take_picks WHERE template_id = $1", [PostgresData(string: template)]).map { row in
            let r = row.makeRandomAccess()
            return (try r[0].decode(String.self), try r[1].decode(Int.self))
        }, uniquingKeysWith: { a, _ in a })
    }

    public func pick(of jobKey: String, template: String) throws -> TakePick? {
        guard let row = try pool.query("SELECT * FROM sceneflow_take_picks WHERE template_id = $1 AND job_key = $2",
                                       [PostgresData(string: template), PostgresData(string: jobKey)]).first else { return nil }
        let r = row.makeRandomAccess()
        return TakePick(jobKey: try r["job_key"].decode(String.self), take: try r["take"].decode(Int.self), node: try r["node"].decode(String.self),
                        templateID: try r["template_id"].decode(String.self), runID: try r["run_id"].decode(String.self),
                        pickedAt: try r["picked_at"].decode(Date.self))
    }
}
