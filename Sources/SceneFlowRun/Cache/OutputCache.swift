import Foundation
import SceneFlowBasics
import SceneFlowTemplate
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What made a cached output: provenance, kept beside it.
public struct OutputMetadata: Sendable, Codable, Equatable {
    public var key: String
    public var node: String
    public var model: String
    public var provider: Provider
    public var requestID: String?
    /// What the provider reported it charged.
    public var cost: Money?
    public var sha256: String
    public var fileExtension: String
    public var createdAt: Date
    /// The run that made it (`explain` names it when a later run reuses the output).
    public var runID: String?
    /// The file's size and modification time when stored: a cheap first check before reuse.
    public var bytes: Int?
    public var modified: Double?
    /// For a voice-over, when each word is said, where its generator reported it.
    public var words: [TimedWord]?

    public init(key: String, node: String, model: String, provider: Provider, requestID: String? = nil, cost: Money? = nil,
                sha256: String, fileExtension: String, createdAt: Date = Date(), runID: String? = nil) {
        self.key = key
        self.node = node
        self.model = model
        self.provider = provider
        self.requestID = requestID
        self.cost = cost
        self.sha256 = sha256
        self.fileExtension = fileExtension
        self.createdAt = createdAt
        self.runID = runID
    }

    enum CodingKeys: String, CodingKey {
        case key, node, model, provider, cost, sha256, bytes, modified, words
        case requestID = "request_id"
        case fileExtension = "extension"
        case createdAt = "created_at"
        case runID = "run_id"
    }
}

public struct StoredOutput: Sendable {
    public var url: URL
    public var metadata: OutputMetadata

    public init(url: URL, metadata: OutputMetadata) {
        self.url = url
        self.metadata = metadata
    }
}

/// A job's takes index that is there but cannot be read.
public struct TakeIndexDamaged: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var reason: String
    public var description: String { "the takes index \(file) cannot be read (\(reason))" }
}

/// What the cache has for a key.
public enum CacheLookup: Sendable {
    case hit(StoredOutput)
    case miss
    /// An entry whose file no longer matches its digest (edited, truncated, corrupted): it is
    /// not reused, and the job is made again.
    case damaged(reason: String)
}

/// The content-addressed cache: outputs by the hash of everything that made them.
public protocol OutputCache: Sendable {
    func lookup(_ key: CacheKey) -> CacheLookup
    /// Takes ownership of `file` (moves it). Atomic: a crash leaves no half entry. An entry is
    /// published once: when an intact one exists already (another process made the same job
    /// meanwhile), it is kept and returned, and `file` is discarded.
    func store(_ key: CacheKey, file: URL, metadata: OutputMetadata) throws -> StoredOutput
    /// Moves a damaged entry out of the way (kept aside for inspection), so it is made again.
    func quarantine(_ key: CacheKey, reason: String)
    /// The keys of a job's takes after the first, by take number (empty: one take at most).
    /// Throws `TakeIndexDamaged` when the index is there but cannot be read.
    func takeIndex(_ jobKey: CacheKey) throws -> [Int: CacheKey]
    /// Notes that take `take` of the job keyed `jobKey` is cached under `key`.
    func recordTake(_ take: Int, key: CacheKey, of jobKey: CacheKey) throws
}

/// The cache in a workspace: `objects/ab/<key>.<ext>` and `objects/ab/<key>.json`.
///
/// The output file is renamed into place and made read-only first, and its metadata (with the
/// digest, size and modification time) written atomically last: an entry counts only once its
/// metadata exists, so `kill -9` between the two leaves an orphan file that is replaced next
/// time. Publishing holds the shard's lock (`objects/ab/.lock`, `flock`), so two processes that
/// made the same job publish one entry: the second finds the first intact and keeps it. A file
/// in place is never opened for writing; it is only ever replaced by a rename, which a reader
/// holding the old one does not see. Before reuse an entry is verified (size and modification
/// time as recorded, else its full SHA-256; a mismatch is `damaged`, never a hit), and what is
/// delivered from it is hashed as it is copied (`RunFolder.deliver`). A damaged entry, or
/// anything that is not a regular file where an entry belongs, is moved to `quarantine/`.
public struct FileOutputCache: OutputCache {
    public let directory: URL
    /// The objects' bytes; their metadata (`<key>.json`) is kept beside them.
    public let blobs: FolderBlobStore

    public init(directory: URL) {
        self.directory = directory
        blobs = FolderBlobStore(root: directory)
    }

    private func paths(_ cacheKey: CacheKey, ext: String) -> (file: URL, metadata: URL) {
        let key = cacheKey.value
        let folder = directory.appendingPathComponent(String(key.prefix(2)))
        return (folder.appendingPathComponent("\(key).\(ext)"), folder.appendingPathComponent("\(key).json"))
    }

    public func lookup(_ key: CacheKey) -> CacheLookup {
        let metadataURL = paths(key, ext: "").metadata
        guard let data = FileManager.default.contents(atPath: metadataURL.path),
              let metadata = try? Self.decoder.decode(OutputMetadata.self, from: data),
              metadata.key == key.value, Self.safeExtension(metadata.fileExtension) else { return .miss }
        let file = paths(key, ext: metadata.fileExtension).file
        var info = stat()
        guard stat(file.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .miss }
        if metadata.bytes == Int(info.st_size), metadata.modified == Self.modified(info) {
            return .hit(StoredOutput(url: file, metadata: metadata))
        }
        // Size or time changed: only the content can say whether it is still the output.
        guard let digest = try? Digest.sha256(fileAt: file) else { return .damaged(reason: "the cached file cannot be read") }
        guard digest == metadata.sha256 else {
            return .damaged(reason: "the cached output was changed on disk (\(ByteCount(Int(info.st_size))), digest \(digest.prefix(12)) where \(metadata.sha256.prefix(12)) was stored)")
        }
        return .hit(StoredOutput(url: file, metadata: metadata))
    }

    public func store(_ key: CacheKey, file: URL, metadata: OutputMetadata) throws -> StoredOutput {
        var metadata = metadata
        guard Self.safeExtension(metadata.fileExtension) else { throw AtomicFile.WriteError(path: file.path, reason: "unusable extension") }
        let target = paths(key, ext: metadata.fileExtension)
        let shard = target.file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: shard, withIntermediateDirectories: true)
        return try ShardLock.holding(shard.appendingPathComponent(".lock")) { () throws -> StoredOutput in
            // Published meanwhile by another process (or another run of this one): keep it.
            if case .hit(let existing) = lookup(key) {
                try? FileManager.default.removeItem(at: file)
                return existing
            }
            // Whatever is in the way is no entry (an orphan without metadata, a damaged file, a
            // folder): set it aside, never written over in place.
            var info = stat()
            if lstat(target.file.path, &info) == 0 { quarantine(key, reason: "in the way of a new entry") }
            try blobs.publish(file, as: target.file.lastPathComponent)
            guard stat(target.file.path, &info) == 0 else { throw AtomicFile.WriteError(path: target.file.path, reason: String(cString: strerror(errno))) }
            metadata.bytes = Int(info.st_size)
            metadata.modified = Self.modified(info)
            try AtomicFile.write(try Self.encoder.encode(metadata), to: target.metadata)
            return StoredOutput(url: target.file, metadata: metadata)
        }
    }

    /// The folder damaged entries are moved to (`cache/quarantine/`, beside `objects/`).
    public var quarantineDirectory: URL { directory.deletingLastPathComponent().appendingPathComponent("quarantine") }

    public func quarantine(_ cacheKey: CacheKey, reason: String) {
        let key = cacheKey.value
        let metadataURL = paths(cacheKey, ext: "").metadata
        let metadata = FileManager.default.contents(atPath: metadataURL.path).flatMap { try? Self.decoder.decode(OutputMetadata.self, from: $0) }
        let folder = directory.appendingPathComponent(String(key.prefix(2)))
        let stamp = "\(Int(Date().timeIntervalSince1970 * 1000))-\(getpid())"
        try? FileManager.default.createDirectory(at: quarantineDirectory, withIntermediateDirectories: true)
        // Every file of the entry (`<key>.<ext>`, whatever its extension or kind), then its metadata last.
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix(key + ".") && $0 != "\(key).json" && $0 != "\(key).takes.json" }
        for name in names { blobs.setAside(name, into: quarantineDirectory, tag: stamp) }
        if metadata != nil {
            rename(metadataURL.path, quarantineDirectory.appendingPathComponent("\(stamp)-\(key).json").path)
        }
        let note = "\(key): \(reason)\n"
        try? AtomicFile.write(Data(note.utf8), to: quarantineDirectory.appendingPathComponent("\(stamp)-\(key).why"))
    }

    public func takeIndex(_ jobKey: CacheKey) throws -> [Int: CacheKey] {
        let file = takesFile(jobKey)
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: file.path) else { throw TakeIndexDamaged(file: file.path, reason: "it cannot be opened") }
        let entries: [String: String]
        do { entries = try JSONCoding.decoder.decode([String: String].self, from: data) } catch {
            throw TakeIndexDamaged(file: file.path, reason: data.isEmpty ? "it is empty" : "it is not a takes index")
        }
        var index: [Int: CacheKey] = [:]
        for (take, key) in entries {
            // Only well-formed entries: a take number and a key of this cache's alphabet.
            guard let n = Int(take), n > 1, let key = CacheKey(validating: key.lowercased()) else { continue }
            index[n] = key
        }
        return index
    }

    public func recordTake(_ take: Int, key: CacheKey, of jobKey: CacheKey) throws {
        guard take > 1 else { return }
        // A damaged index is replaced by what is known now (a run rebuilds it first: `Takes`).
        var index = (try? takeIndex(jobKey)) ?? [:]
        index[take] = key
        let file = takesFile(jobKey)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(try Self.encoder.encode(Dictionary(uniqueKeysWithValues: index.map { (String($0.key), $0.value.value) })), to: file)
    }

    private func takesFile(_ jobKey: CacheKey) -> URL {
        directory.appendingPathComponent(String(jobKey.value.prefix(2))).appendingPathComponent("\(jobKey.value).takes.json")
    }

    static func modified(_ info: stat) -> Double {
        Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    /// Extensions come from generators' file names; only short alphanumerics become paths.
    static func safeExtension(_ ext: String) -> Bool {
        !ext.isEmpty && ext.count <= 8 && ext.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    static var encoder: JSONEncoder { JSONCoding.pretty }

    static var decoder: JSONDecoder { JSONCoding.decoder }
}

/// A cache in memory, for benchmarks and tests of the scheduler itself.
public final class MemoryOutputCache: OutputCache, Sendable {
    private let entries: Mutex<[CacheKey: StoredOutput]>
    private let takes = Mutex<[CacheKey: [Int: CacheKey]]>([:])

    public init(capacity: Int = 0) {
        var dictionary: [CacheKey: StoredOutput] = [:]
        dictionary.reserveCapacity(capacity)
        entries = Mutex(dictionary)
    }

    public func lookup(_ key: CacheKey) -> CacheLookup {
        entries.withLock { $0[key] }.map { .hit($0) } ?? .miss
    }

    public func store(_ key: CacheKey, file: URL, metadata: OutputMetadata) throws -> StoredOutput {
        let stored = StoredOutput(url: file, metadata: metadata)
        entries.withLock { $0[key] = stored }
        return stored
    }

    public func takeIndex(_ jobKey: CacheKey) -> [Int: CacheKey] {
        takes.withLock { $0[jobKey] ?? [:] }
    }

    public func recordTake(_ take: Int, key: CacheKey, of jobKey: CacheKey) throws {
        guard take > 1 else { return }
        takes.withLock { $0[jobKey, default: [:]][take] = key }
    }

    public func quarantine(_ key: CacheKey, reason: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }
}

/// An exclusive advisory lock on a file (`flock`), held while `body` runs: serialises writers
/// of one cache shard across processes (released by the kernel if the process dies).
enum ShardLock {
    static func holding<T>(_ file: URL, _ body: () throws -> T) throws -> T {
        let fd = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.WriteError(path: file.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw AtomicFile.WriteError(path: file.path, reason: String(cString: strerror(errno))) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
