import Foundation
import SceneFlowBasics

#if canImport(Glibc)
import Glibc
#endif

/// Team mode's cache: this host's `FileOutputCache` in front of a shared `BlobStore` (a folder
/// every host mounts, or an S3-compatible bucket), so an output made on one host is reused on
/// every other instead of being paid for again.
///
/// An entry in the shared store is the output, named by its key *and its digest*
/// (`<key>.<sha256>.<ext>`), then its metadata (`<key>.json`), each created once (a conditional
/// create): an entry counts only once its metadata is there, and the metadata always names bytes
/// that its writer put there first. Two hosts that made different bytes for one key (outputs are
/// not byte-for-byte repeatable) store two outputs and one metadata, which names its own. A
/// lookup that misses locally reads the metadata, then the output it names, verifies it against
/// the metadata's SHA-256 and keeps both in the local cache (a second lookup downloads nothing).
/// An entry found damaged (its output missing or not matching) is replaced by the next host that
/// makes the output, so it heals instead of being made again on every host. Takes indexes stay
/// on the host that made the takes.
public struct SharedOutputCache: OutputCache {
    public let local: FileOutputCache
    public let shared: any BlobStore
    /// Told what could not be shared or read (the run goes on with its local cache).
    public let notices: @Sendable (String) -> Void
    /// Keys whose shared entry was found damaged by this process: its next store replaces it.
    private let damaged = DamagedKeys()

    public init(local: FileOutputCache, shared: any BlobStore, notices: @escaping @Sendable (String) -> Void = { _ in }) {
        self.local = local
        self.shared = shared
        self.notices = notices
    }

    func tell(_ message: String) {
        notices(message)
    }

    static func outputName(_ key: CacheKey, _ metadata: OutputMetadata) -> String {
        "\(key.value).\(metadata.sha256).\(metadata.fileExtension)"
    }

    public func lookup(_ key: CacheKey) -> CacheLookup {
        let here = local.lookup(key)
        if case .miss = here {} else { return here }
        let metadataName = "\(key.value).json"
        let metadata: OutputMetadata
        do {
            // One read: a name the store does not have is a miss.
            let file = try shared.fetch(metadataName)
            metadata = try JSONCoding.decoder.decode(OutputMetadata.self, from: Data(contentsOf: file))
        } catch let error as BlobStoreError where error.isMissing {
            return .miss
        } catch {
            tell("the shared cache entry \(key.value.prefix(12)) cannot be read: \(error); it is made here")
            return .miss
        }
        guard metadata.key == key.value, FileOutputCache.safeExtension(metadata.fileExtension),
              metadata.sha256.count == 64, metadata.sha256.allSatisfy(\.isHexDigit) else {
            damaged.insert(key.value)
            return .damaged(reason: "the shared cache's metadata for \(key.value.prefix(12)) is not this key's")
        }
        do {
            let output = try shared.fetch(Self.outputName(key, metadata))
            guard try Digest.sha256(fileAt: output) == metadata.sha256 else {
                damaged.insert(key.value)
                return .damaged(reason: "the shared cache's output for \(key.value.prefix(12)) does not match its digest")
            }
            // Into the local cache (a copy: the shared store's local copy stays its own).
            try FileManager.default.createDirectory(at: local.directory, withIntermediateDirectories: true)
            let copy = local.directory.appendingPathComponent(".shared-\(getpid())-\(UUID().uuidString.prefix(8))")
            try FileCopy.copy(output, to: copy)
            return .hit(try local.store(key, file: copy, metadata: metadata))
        } catch let error as BlobStoreError where !error.isTransient {
            damaged.insert(key.value)
            return .damaged(reason: "the shared cache's output for \(key.value.prefix(12)) cannot be read: \(error)")
        } catch {
            tell("the shared cache entry \(key.value.prefix(12)) cannot be read: \(error); it is made here")
            return .miss
        }
    }

    public func store(_ key: CacheKey, file: URL, metadata: OutputMetadata) throws -> StoredOutput {
        let stored = try local.store(key, file: file, metadata: metadata)
        do {
            try shared.store(copyOf: stored.url, as: Self.outputName(key, stored.metadata))
            let json = local.directory.appendingPathComponent(".shared-\(getpid())-\(UUID().uuidString.prefix(8)).json")
            var published = stored.metadata
            published.bytes = nil
            published.modified = nil
            try AtomicFile.write(try JSONCoding.compact.encode(published), to: json)
            defer { unlink(json.path) }
            // A damaged entry's metadata is replaced (it names bytes that are gone or wrong).
            if damaged.remove(key.value) { try shared.remove("\(key.value).json") }
            try shared.store(copyOf: json, as: "\(key.value).json")
        } catch {
            // The output is made and kept here; other hosts make it again if they need it.
            tell("output \(key.value.prefix(12)) is kept on this host but could not be shared: \(error)")
        }
        return stored
    }

    public func quarantine(_ key: CacheKey, reason: String) { local.quarantine(key, reason: reason) }
    public func takeIndex(_ jobKey: CacheKey) throws -> [Int: CacheKey] { try local.takeIndex(jobKey) }
    public func recordTake(_ take: Int, key: CacheKey, of jobKey: CacheKey) throws { try local.recordTake(take, key: key, of: jobKey) }
}

/// Keys a process found damaged in the shared cache.
final class DamagedKeys: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: Set<String> = []
    func insert(_ key: String) { lock.withLock { _ = keys.insert(key) } }
    func remove(_ key: String) -> Bool { lock.withLock { keys.remove(key) != nil } }
}
