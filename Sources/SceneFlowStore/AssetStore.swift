import Crypto
import Foundation
import GRDB
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

#if canImport(Glibc)
import Glibc
#endif

/// The largest files the store takes: images as `ImageCheck` allows, videos up to 1 GB.
public enum AssetLimits {
    public static let maxImageBytes = ImageCheck.maxBytes
    public static let maxVideoBytes = 1 << 30
}

extension WorkspaceDatabase {
    /// The file of a stored asset.
    /// Where the stored files' bytes are (`assets/ab/<sha256>.<type>`).
    public var assetBlobs: FolderBlobStore { FolderBlobStore(root: assetsDirectory) }

    public func file(of asset: StoredAsset) -> URL {
        assetBlobs.path("\(asset.sha256).\(asset.mediaType)")
    }

    /// Stores files for a product's slot, checked by content (`AssetIntake`). The files become
    /// the slot's files: earlier ones are replaced, unless `append`.
    @discardableResult
    public func addAssets(product: String, key: String, files: [URL], slotType: SlotType? = nil, append: Bool = false) throws -> [StoredAsset] {
        let incoming = try AssetIntake.receive(product: product, key: key, files: files, slotType: slotType, append: append, staging: assetsDirectory)
        defer { for item in incoming { try? FileManager.default.removeItem(at: item.temporary) } }
        // One write transaction (SQLite's write lock, across processes) holds the file check,
        // the rows and the removal of files no row refers to any more: an `assets remove` of
        // another product cannot delete a file between this one's check and its row.
        var trash = Trash()
        let added: [StoredAsset] = try guarded {
            try queue.write { db in
                trash.reset()
                for item in incoming { try assetBlobs.publish(item.temporary, as: file(of: item.asset).lastPathComponent) }
                var old: [StoredAsset] = []
                if !append {
                    let request = StoredAsset.filter(Column("product_id") == product && Column("key") == key)
                    old = try request.fetchAll(db)
                    _ = try request.deleteAll(db)
                }
                for item in incoming { try item.asset.upsert(db) }
                let replaced = old.filter { o in !incoming.contains { $0.asset.sha256 == o.sha256 } }
                try setAsideUnreferenced(replaced, db, into: &trash)
                return incoming.map(\.asset)
            }
        } onFailure: {
            trash.restore()
        }
        trash.empty()
        return added
    }

    /// Files set aside in a write transaction: deleted once it commits, put back if it does not.
    struct Trash {
        var moves: [(from: URL, to: URL)] = []
        mutating func reset() { restore() }
        mutating func restore() {
            for move in moves.reversed() { rename(move.to.path, move.from.path) }
            moves = []
        }
        mutating func empty() {
            for move in moves { unlink(move.to.path) }
            moves = []
        }
    }

    /// Inside a write transaction: the files of `assets` that no row refers to now are moved to
    /// trash names (deleted when the transaction commits).
    private func setAsideUnreferenced(_ assets: [StoredAsset], _ db: Database, into trash: inout Trash) throws {
        for asset in assets where try StoredAsset.filter(Column("sha256") == asset.sha256).fetchCount(db) == 0 {
            let stored = file(of: asset)
            let aside = stored.deletingLastPathComponent().appendingPathComponent(".trash-\(stored.lastPathComponent)-\(getpid())-\(UUID().uuidString.prefix(8))")
            if rename(stored.path, aside.path) == 0 { trash.moves.append((stored, aside)) }
        }
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

    /// Removes a product's assets for a key (or the ones whose digest starts with `sha256`, at
    /// least 8 characters: `assets list` shows 12); returns them. Files no product refers to
    /// any more are deleted. An ambiguous prefix removes nothing.
    @discardableResult
    public func removeAssets(product: String, key: String? = nil, sha256: String? = nil) throws -> [StoredAsset] {
        if let sha256, sha256.count < 8 || !sha256.allSatisfy(\.isHexDigit) {
            throw StoreError("--sha256 takes at least 8 hex digits of a digest (`assets list` shows 12), got \"\(Slug.shown(sha256))\"")
        }
        var trash = Trash()
        let removed: [StoredAsset] = try guarded {
            try queue.write { db in
                trash.reset()
                var request = StoredAsset.filter(Column("product_id") == product)
                if let key { request = request.filter(Column("key") == key) }
                if let sha256 { request = request.filter(Column("sha256").like("\(sha256.lowercased())%")) }
                let rows = try request.fetchAll(db)
                if sha256 != nil, Set(rows.map(\.sha256)).count > 1 {
                    throw StoreError("\(sha256!) matches \(Set(rows.map(\.sha256)).count) files: \(Set(rows.map { String($0.sha256.prefix(16)) }).sorted().joined(separator: ", ")); give more of the digest")
                }
                _ = try request.deleteAll(db)
                try setAsideUnreferenced(rows, db, into: &trash)
                return rows
            }
        } onFailure: {
            trash.restore()
        }
        trash.empty()
        return removed
    }

    /// The stored files of a product as hydration inputs (`AssetStore.hydrationInputs`), read
    /// from the workspace's assets folder.
    public func hydrationInputs(product: String, except keys: Set<String> = [], requireAssets: Bool = true) throws -> HydrationInputs {
        try hydrationInputs(product: product, except: keys, requireAssets: requireAssets) { file(of: $0) }
    }
}

/// Files on their way into a store: each checked by content (images by `ImageCheck`: type,
/// structure and size; videos by type and a 1 GB cap; `slotType`, when known, must match) and
/// copied into a staging folder while hashed, read once and never held whole in memory. Every
/// store (the workspace's SQLite, team mode's PostgreSQL) takes files in through it.
public enum AssetIntake {
    public struct Incoming: Sendable {
        public var asset: StoredAsset
        /// The staged copy (read-only); the caller moves it into its blob store or deletes it.
        public var temporary: URL
    }

    /// Checks the product id, the key and every file, and stages the files in `staging`.
    public static func receive(product: String, key: String, files: [URL], slotType: SlotType?, append: Bool, staging: URL) throws -> [Incoming] {
        if let problem = Slug.problem(product) { throw StoreError("product id \"\(Slug.shown(product))\" is not usable: \(problem)") }
        let isOverride = HydrationInputs.imageOverrideProblem(key) == nil
        if !isOverride, let problem = Slug.problem(key) { throw StoreError("asset key \"\(Slug.shown(key))\" is not usable: \(problem)") }
        if isOverride, files.count != 1 || append {
            throw StoreError("\(key) takes exactly one image (it replaces the template's image for this product)")
        }
        var incoming: [Incoming] = []
        var done = false
        defer { if !done { for item in incoming { try? FileManager.default.removeItem(at: item.temporary) } } }
        for url in files {
            let head: [UInt8]
            do { head = try RegularFile.head(url.path, count: 64) } catch { throw StoreError(error.description) }
            guard let type = MediaType.sniff(head) else {
                throw StoreError("\(url.lastPathComponent) is not a PNG, JPEG or WebP image or an MP4, MOV or WebM video (checked by content)")
            }
            if isOverride, !type.isImage {
                throw StoreError("\(url.lastPathComponent) is \(type.rawValue.uppercased()) data; \(key) takes a PNG, JPEG or WebP image")
            }
            if let slotType, slotType.isImage != type.isImage {
                throw StoreError("\(url.lastPathComponent) is \(type.rawValue.uppercased()) data; slot \"\(key)\" (\(slotType.rawValue)) takes \(slotType.isImage ? "a PNG, JPEG or WebP image" : "an MP4, MOV or WebM video")")
            }
            // An image is stored without what follows its end (an appended archive or page).
            var imageLength: Int?
            if type.isImage {
                do { imageLength = try ImageCheck.inspect(path: url.path).length } catch {
                    throw StoreError("\(url.lastPathComponent): \(error.reason)", tooLarge: error.kind == .tooLarge)
                }
            }
            let (sha256, size, temporary) = try stream(url, limit: type.isImage ? AssetLimits.maxImageBytes : AssetLimits.maxVideoBytes, keep: imageLength, staging: staging)
            incoming.append(Incoming(asset: StoredAsset(productID: product, key: key, sha256: sha256, mediaType: type.rawValue,
                                                        size: Int64(size), originalName: url.lastPathComponent, addedAt: Date()), temporary: temporary))
        }
        done = true
        return incoming
    }

    /// Copies `url` (its first `keep` bytes, when given) into a temporary file in `staging`
    /// while hashing it: one read.
    static func stream(_ url: URL, limit: Int, keep: Int? = nil, staging assetsDirectory: URL) throws -> (sha256: String, size: Int, temporary: URL) {
        let (fd, size): (Int32, Int)
        do { (fd, size) = try RegularFile.open(url.path) } catch { throw StoreError(error.description) }
        defer { close(fd) }
        guard size <= limit else { throw StoreError("\(url.lastPathComponent) is \(ByteCount(size)); the store takes files up to \(ByteCount(limit))", tooLarge: true) }
        try FileManager.default.createDirectory(at: assetsDirectory, withIntermediateDirectories: true)
        let temporary = assetsDirectory.appendingPathComponent(".incoming-\(getpid())-\(UUID().uuidString)")
        let out = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw StoreError("cannot write to \(assetsDirectory.path): \(String(cString: strerror(errno)))") }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        var failure: String?
        while total <= limit && total < keep ?? Int.max {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, (keep ?? Int.max) - total)) }
            if n < 0 { if errno == EINTR { continue }; failure = String(cString: strerror(errno)); break }
            if n == 0 { break }
            hasher.update(data: buffer[0..<n])
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(out, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; failure = String(cString: strerror(errno)); break }
                written += w
            }
            if failure != nil { break }
            total += n
        }
        if failure == nil && fsync(out) != 0 { failure = String(cString: strerror(errno)) }
        close(out)
        if failure == nil && total > limit { failure = "it grew past \(ByteCount(limit)) while being read" }
        if let failure {
            try? FileManager.default.removeItem(at: temporary)
            throw StoreError("cannot store \(url.lastPathComponent): \(failure)")
        }
        chmod(temporary.path, 0o444)
        return (Digest.hex(hasher.finalize()), total, temporary)
    }
}
