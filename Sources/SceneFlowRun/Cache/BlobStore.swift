import Foundation
import SceneFlowBasics

#if canImport(Glibc)
import Glibc
#endif

/// Where bytes named by their content live: cache objects (`<cache key>.<ext>`), stored assets
/// (`<sha256>.<ext>`), pinned inputs. A name always holds the same bytes, so a blob is written
/// once and never rewritten; a reader holding one never sees it change. The embedded default
/// is a folder (`FolderBlobStore`); team mode puts a shared folder or an S3-compatible bucket
/// behind the same protocol.
public protocol BlobStore: Sendable {
    /// Where `name`'s bytes can be read on this host, if the store has them.
    func locate(_ name: String) -> URL?
    /// Takes `file` in as `name` (moved where it can be, else copied and flushed), unless the
    /// store has `name` already: then that blob is kept and `file` discarded. Returns where the
    /// blob can be read.
    @discardableResult
    func publish(_ file: URL, as name: String) throws -> URL
    /// Moves `name` out of the store into `folder` (a damaged blob, kept for inspection).
    func setAside(_ name: String, into folder: URL, tag: String)
    /// Where `name`'s bytes can be read on this host, fetched first if the store is remote;
    /// throws when the store does not have them or they cannot be fetched (and says why).
    func fetch(_ name: String) throws -> URL
    /// Deletes `name` (nothing if it is not there). Callers decide, under their own lock, that
    /// nothing refers to it any more.
    func remove(_ name: String) throws
    /// Whether the store itself has `name` now (for a remote store, asked of the server, not
    /// of a local copy).
    func contains(_ name: String) throws -> Bool
    /// Puts a copy of `file` in as `name` (unless the store has it); `file` stays where it is.
    func store(copyOf file: URL, as name: String) throws
    /// Whether the store's own bytes of `name` (not a local copy) have this SHA-256.
    func verify(_ name: String, sha256: String) throws -> Bool
}

/// Names of content-addressed blobs.
public enum BlobNames {
    /// The digest a content name promises (`<64 hex>.<ext>`), if it is one.
    public static func contentDigest(_ name: String) -> String? {
        let stem = name.split(separator: ".").first.map(String.init) ?? name
        return stem.count == 64 && stem.allSatisfy(\.isHexDigit) ? stem.lowercased() : nil
    }
}

extension BlobStore {
    public func contains(_ name: String) throws -> Bool { locate(name) != nil }

    public func verify(_ name: String, sha256: String) throws -> Bool {
        guard let url = locate(name) else { return false }
        return try Digest.sha256(fileAt: url) == sha256
    }

    public func store(copyOf file: URL, as name: String) throws {
        if locate(name) != nil { return }
        let copy = file.deletingLastPathComponent().appendingPathComponent(".copy-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileCopy.copy(file, to: copy)
        do { try publish(copy, as: name) } catch {
            try? FileManager.default.removeItem(at: copy)
            throw error
        }
    }

    public func fetch(_ name: String) throws -> URL {
        guard let url = locate(name) else { throw BlobStoreError("\(name) is not in the store", missing: true) }
        return url
    }
}

/// A blob that cannot be stored or read, said plainly (never with a key or a signature).
public struct BlobStoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The store is away or throttling: trying again later may succeed.
    public var isTransient: Bool
    /// The bytes are there but not what their name promises.
    public var isDamaged: Bool
    /// The store has no such name.
    public var isMissing: Bool
    public init(_ description: String, transient: Bool = false, damaged: Bool = false, missing: Bool = false) {
        self.description = description
        isTransient = transient
        isDamaged = damaged
        isMissing = missing
    }
}

/// Blobs as files in a folder, sharded by the name's first two characters: `ab/abcdef….png`.
/// Files are made read-only once in place.
public struct FolderBlobStore: BlobStore {
    public let root: URL
    /// Names are `<sha256>.<ext>` (team mode's shared assets): what is fetched is checked
    /// against its name first (a shared folder is written by other hosts and people).
    public var verifiesContentNames = false

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// The file `name` is (or would be) at.
    public func path(_ name: String) -> URL {
        root.appendingPathComponent(String(name.prefix(2))).appendingPathComponent(name)
    }

    public func locate(_ name: String) -> URL? {
        var info = stat()
        let url = path(name)
        return stat(url.path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG ? url : nil
    }

    public func fetch(_ name: String) throws -> URL {
        guard let url = locate(name) else { throw BlobStoreError("\(name) is not in \(root.path)", missing: true) }
        if verifiesContentNames, let expected = BlobNames.contentDigest(name) {
            let digest = try Digest.sha256(fileAt: url)
            guard digest == expected else {
                throw BlobStoreError("\(name) in \(root.path) is damaged (its digest is \(digest.prefix(12))…); it was not used", damaged: true)
            }
        }
        return url
    }

    public func publish(_ file: URL, as name: String) throws -> URL {
        let target = path(name)
        if locate(name) != nil {
            try? FileManager.default.removeItem(at: file)
            return target
        }
        do { try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
            throw AtomicFile.WriteError(path: target.deletingLastPathComponent().path, reason: ErrorText.describe(error))
        }
        chmod(file.path, 0o444)
        // rename replaces atomically: a reader never finds the name missing or half written.
        if rename(file.path, target.path) != 0 {
            // Another file system: copy beside the target (flushed), then rename.
            try FileCopy.copy(file, to: target)
            chmod(target.path, 0o444)
            try? FileManager.default.removeItem(at: file)
        }
        AtomicFile.syncFolder(target.deletingLastPathComponent())
        return target
    }

    public func remove(_ name: String) throws {
        if unlink(path(name).path) != 0, errno != ENOENT {
            throw BlobStoreError("cannot delete \(path(name).path): \(String(cString: strerror(errno)))")
        }
    }

    public func setAside(_ name: String, into folder: URL, tag: String) {
        var info = stat()
        let url = path(name)
        guard lstat(url.path, &info) == 0 else { return }
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        rename(url.path, folder.appendingPathComponent("\(tag)-\(name)").path)
    }
}
