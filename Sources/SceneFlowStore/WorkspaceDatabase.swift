import Foundation
import GRDB
import SceneFlowCore

/// A problem with the workspace database, said plainly.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An asset stored against a product.
public struct StoredAsset: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "assets"
    public var productID: String
    public var key: String
    public var sha256: String
    /// By content: png, jpeg, webp, mp4, mov, webm.
    public var mediaType: String
    public var size: Int64
    /// The file name it was added from, for people.
    public var originalName: String
    public var addedAt: Date

    enum CodingKeys: String, CodingKey {
        case key, sha256, size
        case productID = "product_id"
        case mediaType = "media_type"
        case originalName = "original_name"
        case addedAt = "added_at"
    }
}

/// A finished run, as history.
public struct RunRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"
    public var runID: String
    public var templateID: String
    public var templateSHA256: String
    public var templatePath: String?
    public var productID: String?
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var cost: Double
    public var folder: String
    public var finalVideo: String?
    /// Node counts per status, as JSON (`{"succeeded": 9, "cached": 2}`).
    public var counts: String

    enum CodingKeys: String, CodingKey {
        case status, cost, folder, counts
        case runID = "run_id"
        case templateID = "template_id"
        case templateSHA256 = "template_sha256"
        case templatePath = "template_path"
        case productID = "product_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case finalVideo = "final_video"
    }
}

/// The workspace's SQLite database (`sceneflow.sqlite`): product assets and run history.
///
/// Asset files are kept content-addressed beside it (`assets/ab/<sha256>.<ext>`), so the same
/// file added twice, or for two products, is stored once. Every change is one transaction;
/// files are in place (written then renamed) before a row refers to them. A database that
/// another process holds is waited for (`busyTimeout`), then reported; a corrupted one is
/// reported and never silently recreated.
public final class WorkspaceDatabase: Sendable {
    public let workspace: Workspace
    private let queue: DatabaseQueue

    public var path: URL { workspace.root.appendingPathComponent("sceneflow.sqlite") }
    public var assetsDirectory: URL { workspace.root.appendingPathComponent("assets") }

    public init(workspace: Workspace, busyTimeout: Double = 5) throws {
        self.workspace = workspace
        try FileManager.default.createDirectory(at: workspace.root, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        let path = workspace.root.appendingPathComponent("sceneflow.sqlite")
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
        return migrator
    }

    /// Maps SQLite's busy error to a clear message wherever it happens.
    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw StoreError("the workspace database \(path.path) is locked by another process; try again when it finishes")
        }
    }

    // MARK: Assets

    /// The file of a stored asset.
    public func file(of asset: StoredAsset) -> URL {
        assetsDirectory.appendingPathComponent(String(asset.sha256.prefix(2))).appendingPathComponent("\(asset.sha256).\(asset.mediaType)")
    }

    /// Stores files for a product's slot. Each file must be an image or a video by content.
    @discardableResult
    public func addAssets(product: String, key: String, files: [URL]) throws -> [StoredAsset] {
        guard Slug.isValid(product) || !product.isEmpty, !product.contains("/") else { throw StoreError("\"\(product)\" is not a usable product id") }
        var added: [StoredAsset] = []
        for url in files {
            guard let data = FileManager.default.contents(atPath: url.path) else { throw StoreError("cannot read \(url.path)") }
            guard let type = MediaType.sniff([UInt8](data.prefix(64))) else {
                throw StoreError("\(url.lastPathComponent) is not a PNG, JPEG or WebP image or an MP4, MOV or WebM video (checked by content)")
            }
            let asset = StoredAsset(productID: product, key: key, sha256: Digest.sha256(data), mediaType: type.rawValue,
                                    size: Int64(data.count), originalName: url.lastPathComponent, addedAt: Date())
            let target = file(of: asset)
            if !FileManager.default.fileExists(atPath: target.path) {
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try AtomicFile.write(data, to: target)
            }
            added.append(asset)
        }
        try guarded {
            try queue.write { db in for asset in added { try asset.upsert(db) } }
        }
        return added
    }

    public func assets(product: String) throws -> [StoredAsset] {
        try guarded {
            try queue.read { db in
                try StoredAsset.filter(Column("product_id") == product).order(Column("key"), Column("added_at"), Column.rowID).fetchAll(db)
            }
        }
    }

    /// Every product with how many assets it has.
    public func products() throws -> [(product: String, assets: Int)] {
        try guarded {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT product_id, COUNT(*) AS n FROM assets GROUP BY product_id ORDER BY product_id").map { ($0["product_id"], $0["n"]) }
            }
        }
    }

    /// Removes a product's assets for a key (or one of them by digest); returns how many. Files
    /// no product refers to any more are deleted.
    @discardableResult
    public func removeAssets(product: String, key: String? = nil, sha256: String? = nil) throws -> Int {
        let removed: [StoredAsset] = try guarded {
            try queue.write { db in
                var request = StoredAsset.filter(Column("product_id") == product)
                if let key { request = request.filter(Column("key") == key) }
                if let sha256 { request = request.filter(Column("sha256") == sha256) }
                let rows = try request.fetchAll(db)
                _ = try request.deleteAll(db)
                return rows
            }
        }
        for asset in removed {
            let stillUsed = try guarded { try queue.read { db in try StoredAsset.filter(Column("sha256") == asset.sha256).fetchCount(db) } }
            if stillUsed == 0 { try? FileManager.default.removeItem(at: file(of: asset)) }
        }
        return removed.count
    }

    /// The stored files of a product as hydration inputs. Throws if nothing is stored for it.
    public func hydrationInputs(product: String, except keys: Set<String> = []) throws -> HydrationInputs {
        let stored = try assets(product: product)
        guard !stored.isEmpty else {
            let known = try products().map(\.product)
            throw StoreError("no assets are stored for product \"\(product)\"\(Suggestions.didYouMean(product, in: known)); add them with `sceneflow assets add --product \(product) KEY FILE...`")
        }
        var inputs = HydrationInputs()
        inputs.productID = product
        for asset in stored where !keys.contains(asset.key) {
            inputs.files.append(.init(key: asset.key, path: asset.originalName, url: file(of: asset), origin: .store(product: product)))
        }
        return inputs
    }

    // MARK: Runs

    public func record(_ report: RunReport, folder: URL) throws {
        let counts = Dictionary(uniqueKeysWithValues: report.counts().map { ($0.key.rawValue, $0.value) })
        let record = RunRecord(runID: report.runID, templateID: report.template.id, templateSHA256: report.template.sha256,
                               templatePath: report.template.path, productID: report.productID, status: report.status.rawValue,
                               startedAt: report.startedAt, finishedAt: report.finishedAt, cost: report.cost, folder: folder.path,
                               finalVideo: report.finalVideo.map { folder.appendingPathComponent($0).path },
                               counts: String(decoding: try JSONSerialization.data(withJSONObject: counts, options: .sortedKeys), as: UTF8.self))
        try guarded { try queue.write { db in try record.upsert(db) } }
    }

    public func runs(limit: Int = 20, product: String? = nil) throws -> [RunRecord] {
        try guarded {
            try queue.read { db in
                var request = RunRecord.order(Column("started_at").desc).limit(limit)
                if let product { request = request.filter(Column("product_id") == product) }
                return try request.fetchAll(db)
            }
        }
    }

    /// A run by id, or by a unique prefix of its id.
    public func run(_ id: String) throws -> RunRecord? {
        try guarded {
            try queue.read { db in
                if let exact = try RunRecord.fetchOne(db, key: id) { return exact }
                let matches = try RunRecord.filter(Column("run_id").like("\(id)%")).limit(2).fetchAll(db)
                return matches.count == 1 ? matches[0] : nil
            }
        }
    }
}

func formatSeconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }
