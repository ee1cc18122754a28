import Foundation
import SceneFlowBasics

#if canImport(Glibc)
import Glibc
#endif

/// Team mode's cache: this host's `FileOutputCache` in front of a shared `BlobStore` (a folder
/// every host mounts, or an S3-compatible bucket), so an output made on one host is reused on
/// every other instead of being paid for again.
///
/// An entry in the shared store is the output (`<key>.<ext>`) and then its metadata
/// (`<key>.json`), each created once (a conditional create): it counts only once its metadata
/// is there. A lookup that misses locally reads the metadata, then the output, verifies the
/// output against the metadata's SHA-256 and keeps both in the local cache (a second lookup
/// downloads nothing). Takes indexes stay on the host that made the takes.
public struct SharedOutputCache: OutputCache {
    public let local: FileOutputCache
    public let shared: any BlobStore
    /// Told what could not be shared or read (the run goes on with its local cache).
    public let notices: @Sendable (String) -> Void

    public init(local: FileOutputCache, shared: any BlobStore, notices: @escaping @Sendable (String) -> Void = { _ in }) {
        self.local = local
        self.shared = shared
        self.notices = notices
    }

    public func lookup(_ key: CacheKey) -> CacheLookup {
        let here = local.lookup(key)
        if case .miss = here {} else { return here }
        let metadataName = "\(key.value).json"
        let metadata: OutputMetadata
        do {
            guard try shared.contains(metadataName) else { return .miss }
            let file = try shared.fetch(metadataName)
            metadata = try JSONCoding.decoder.decode(OutputMetadata.self, from: Data(contentsOf: file))
        } catch {
            notices("the shared cache entry \(key.value.prefix(12)) cannot be read: \(error); it is made here")
            return .miss
        }
        guard metadata.key == key.value else { return .damaged(reason: "the shared cache's metadata for \(key.value.prefix(12)) names another key") }
        do {
            let output = try shared.fetch("\(key.value).\(metadata.fileExtension)")
            guard try Digest.sha256(fileAt: output) == metadata.sha256 else {
                return .damaged(reason: "the shared cache's output for \(key.value.prefix(12)) does not match its digest")
            }
            // Into the local cache (a copy: the shared store's local copy stays its own).
            let copy = local.directory.appendingPathComponent(".shared-\(getpid())-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: local.directory, withIntermediateDirectories: true)
            try FileCopy.copy(output, to: copy)
            return .hit(try local.store(key, file: copy, metadata: metadata))
        } catch {
            notices("the shared cache entry \(key.value.prefix(12)) cannot be read: \(error); it is made here")
            return .miss
        }
    }

    public func store(_ key: CacheKey, file: URL, metadata: OutputMetadata) throws -> StoredOutput {
        let stored = try local.store(key, file: file, metadata: metadata)
        do {
            try shared.store(copyOf: stored.url, as: "\(key.value).\(stored.metadata.fileExtension)")
            let json = local.directory.appendingPathComponent(".shared-\(getpid())-\(UUID().uuidString.prefix(8)).json")
            var published = stored.metadata
            published.bytes = nil
            published.modified = nil
            try AtomicFile.write(try JSONCoding.compact.encode(published), to: json)
            defer { unlink(json.path) }
            try shared.store(copyOf: json, as: "\(key.value).json")
        } catch {
            // The output is made and kept here; other hosts make it again if they need it.
            notices("output \(key.value.prefix(12)) is kept on this host but could not be shared: \(error)")
        }
        return stored
    }

    public func quarantine(_ key: CacheKey, reason: String) { local.quarantine(key, reason: reason) }
    public func takeIndex(_ jobKey: CacheKey) throws -> [Int: CacheKey] { try local.takeIndex(jobKey) }
    public func recordTake(_ take: Int, key: CacheKey, of jobKey: CacheKey) throws { try local.recordTake(take, key: key, of: jobKey) }
}
