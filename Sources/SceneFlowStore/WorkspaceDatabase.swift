import Foundation
import GRDB
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The workspace's SQLite database (`sceneflow.sqlite`): product assets, run history and picked takes.
///
/// Asset files are kept content-addressed beside it (`assets/ab/<sha256>.<ext>`), so the same
/// file added twice, or for two products, is stored once. Every change is one transaction;
/// files are in place (written then renamed) before a row refers to them. A database that
/// another process holds is waited for (`busyTimeout`), then reported; a corrupted one is
/// reported and never silently recreated.
public final class WorkspaceDatabase: Sendable {
    public let workspace: Workspace
    let queue: DatabaseQueue

    public var path: URL { workspace.root.appendingPathComponent("sceneflow.sqlite") }
    public var assetsDirectory: URL { workspace.root.appendingPathComponent("assets") }

    /// Opens the workspace's database. Only a missing database is created, and only with
    /// `create` (commands that only read pass false: a mistyped `--workspace` is then an error,
    /// not a new empty workspace). A file that is there but is not a SQLite database (empty,
    /// truncated, foreign) is reported and left untouched, never replaced.
    public init(workspace: Workspace, busyTimeout: Double = 5, create: Bool = true) throws {
        self.workspace = workspace
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: workspace.root.path, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue {
            throw StoreError("the workspace \(workspace.root.path) is a file, not a folder")
        }
        let path = workspace.root.appendingPathComponent("sceneflow.sqlite")
        if !create, !exists || !FileManager.default.fileExists(atPath: path.path) {
            throw StoreError("there is no workspace at \(workspace.root.path) (nothing has been run or stored there); check --workspace or SCENEFLOW_HOME",
                             missing: true)
        }
        do { try FileManager.default.createDirectory(at: workspace.root, withIntermediateDirectories: true) } catch {
            throw StoreError("cannot create the workspace at \(workspace.root.path): \(ErrorText.describe(error))")
        }
        if create, !FileManager.default.fileExists(atPath: path.path) { try Self.createAtomically(path, busyTimeout: busyTimeout) }
        if let problem = Self.notADatabase(path) {
            throw StoreError("the workspace database \(path.path) is corrupted (it \(problem)); it was left untouched: move it aside to start a new one (or put back a good copy to keep its history and picks)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        do {
            queue = try DatabaseQueue(path: path.path, configuration: configuration)
            try queue.inDatabase { db in
                // Detects a file that is not a database, or a damaged one, before touching it.
                let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "?"
                guard check == "ok" else { throw StoreError("integrity check: \(check)") }
            }
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw StoreError("the workspace database \(path.path) is locked by another process (waited \(formatSeconds(busyTimeout))); try again when it finishes")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw StoreError("the workspace database \(path.path) is corrupted (\(error.message ?? "not a database")); it was left untouched: move it aside to start a new one")
        } catch let error as StoreError {
            throw StoreError("the workspace database \(path.path) is corrupted (\(error.description)); it was left untouched: move it aside to start a new one")
        }
    }

    /// A new database is made whole under a temporary name (schema and all) and then linked into
    /// place, which fails if another process did so first: the database's path never names a
    /// file half made, so an empty file there is always damage, never a database being born.
    static func createAtomically(_ path: URL, busyTimeout: Double) throws {
        let temporary = path.deletingLastPathComponent().appendingPathComponent(".\(path.lastPathComponent).new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { unlink(temporary.path) }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            let queue = try DatabaseQueue(path: temporary.path, configuration: configuration)
            try migrator.migrate(queue)
            try queue.close()
        } catch {
            throw StoreError("cannot create the workspace database \(path.path): \(error)")
        }
        if link(temporary.path, path.path) != 0, errno != EEXIST {
            throw StoreError("cannot create the workspace database \(path.path): \(String(cString: strerror(errno)))")
        }
        AtomicFile.syncFolder(path.deletingLastPathComponent())
    }

    /// Why the file at `path` is not a SQLite database, if it is there and is not one: SQLite
    /// would take an empty file for a new database, and start the history over.
    static func notADatabase(_ path: URL) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path.path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 100)) ?? Data()
        if head.isEmpty { return "is empty (0 bytes)" }
        if head.count < 100 || !head.starts(with: Data("SQLite format 3\u{0}".utf8)) {
            return "is not a SQLite database (\(head.count < 100 ? "\(head.count) bytes" : "its first bytes are not SQLite's"))"
        }
        return nil
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "assets") { t in
                t.column("product_id", .text).notNull()
                t.column("key", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("media_type", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("original_name", .text).notNull()
                t.column("added_at", .datetime).notNull()
                t.primaryKey(["product_id", "key", "sha256"])
            }
            try db.create(table: "runs") { t in
                t.primaryKey("run_id", .text)
                t.column("template_id", .text).notNull().indexed()
                t.column("template_sha256", .text).notNull()
                t.column("template_path", .text)
                t.column("product_id", .text).indexed()
                t.column("status", .text).notNull()
                t.column("started_at", .datetime).notNull()
                t.column("finished_at", .datetime)
                t.column("cost", .double).notNull()
                t.column("folder", .text).notNull()
                t.column("final_video", .text)
                t.column("counts", .text).notNull()
            }
        }
        migrator.registerMigration("v2") { db in
            // Money in millionths of a dollar (no float drift), rehearsals marked, spend that is an
            // estimate marked, and a run whose folder a later run reused.
            try db.alter(table: "runs") { t in
                t.add(column: "cost_micros", .integer).notNull().defaults(to: 0)
                t.add(column: "cost_estimated", .boolean).notNull().defaults(to: false)
                t.add(column: "simulated", .boolean).notNull().defaults(to: false)
                t.add(column: "superseded_by", .text)
                t.add(column: "pid", .integer)
                t.add(column: "process_start", .text)
            }
            try db.execute(sql: "UPDATE runs SET cost_micros = CAST(ROUND(cost * 1000000) AS INTEGER)")
        }
        migrator.registerMigration("v3") { db in
            // The take of each job a user approved (`sceneflow takes pick`).
            try db.create(table: "take_picks") { t in
                t.primaryKey("job_key", .text)
                t.column("take", .integer).notNull()
                t.column("node", .text).notNull()
                t.column("template_id", .text).notNull()
                t.column("run_id", .text).notNull()
                t.column("picked_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v4") { db in
            // Picks belong to a template's node: the same job in another template is its own.
            try db.create(table: "take_picks_v4") { t in
                t.column("template_id", .text).notNull()
                t.column("job_key", .text).notNull()
                t.column("take", .integer).notNull()
                t.column("node", .text).notNull()
                t.column("run_id", .text).notNull()
                t.column("picked_at", .datetime).notNull()
                t.primaryKey(["template_id", "job_key"])
            }
            try db.execute(sql: "INSERT INTO take_picks_v4 (template_id, job_key, take, node, run_id, picked_at) SELECT template_id, job_key, take, node, run_id, picked_at FROM take_picks")
            try db.drop(table: "take_picks")
            try db.rename(table: "take_picks_v4", to: "take_picks")
        }
        migrator.registerMigration("v5") { db in
            // The history is listed newest first, by template and by product.
            try db.create(index: "runs_started", on: "runs", columns: ["started_at", "run_id"])
        }
        return migrator
    }

    /// Maps SQLite's errors to clear messages wherever they happen: a busy database names the
    /// cause, a full disk says so, and no message carries the SQL statement (or its values).
    func guarded<T>(_ body: () throws -> T, onFailure: () -> Void = {}) throws -> T {
        do { return try body() } catch let error as DatabaseError {
            onFailure()
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                throw StoreError("the workspace database \(path.path) is locked by another process; try again when it finishes", locked: true)
            case .SQLITE_FULL:
                throw StoreError("cannot write the workspace database \(path.path): No space left on device")
            case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
                throw StoreError("cannot write the workspace database \(path.path): \(error.message ?? "permission denied")")
            default:
                throw StoreError("the workspace database \(path.path) failed: \(error.message ?? "SQLite error \(error.resultCode.rawValue)")")
            }
        } catch {
            onFailure()
            throw error
        }
    }
}

func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }
