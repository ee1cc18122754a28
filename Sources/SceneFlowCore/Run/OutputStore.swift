import Foundation

/// What made a cached output: provenance, kept beside it.
public struct OutputMetadata: Sendable, Codable, Equatable {
    public var key: String
    public var node: String
    public var model: String
    public var provider: String
    public var requestID: String?
    /// USD, as the provider reported it.
    public var cost: Double?
    public var sha256: String
    public var fileExtension: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case key, node, model, provider, cost, sha256
        case requestID = "request_id"
        case fileExtension = "extension"
        case createdAt = "created_at"
    }
}

public struct StoredOutput: Sendable {
    public var url: URL
    public var metadata: OutputMetadata
}

/// The content-addressed cache: outputs by the hash of everything that made them.
public protocol OutputStore: Sendable {
    func lookup(_ key: String) -> StoredOutput?
    /// Takes ownership of `file` (moves it). Atomic: a crash leaves no half entry.
    func store(_ key: String, file: URL, metadata: OutputMetadata) throws -> StoredOutput
}

/// The cache in a workspace. The output file is renamed into place first and its metadata
/// written (atomically) last: an entry counts only once its metadata exists, so `kill -9`
/// between the two leaves an orphan file that is simply overwritten next time.
public struct FileOutputStore: OutputStore {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    private func paths(_ key: String, ext: String) -> (file: URL, metadata: URL) {
        let folder = directory.appendingPathComponent(String(key.prefix(2)))
        return (folder.appendingPathComponent("\(key).\(ext)"), folder.appendingPathComponent("\(key).json"))
    }

    public func lookup(_ key: String) -> StoredOutput? {
        let metadataURL = paths(key, ext: "").metadata
        guard let data = FileManager.default.contents(atPath: metadataURL.path),
              let metadata = try? Self.decoder.decode(OutputMetadata.self, from: data) else { return nil }
        let file = paths(key, ext: metadata.fileExtension).file
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return StoredOutput(url: file, metadata: metadata)
    }

    public func store(_ key: String, file: URL, metadata: OutputMetadata) throws -> StoredOutput {
        let target = paths(key, ext: metadata.fileExtension)
        try FileManager.default.createDirectory(at: target.file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if rename(file.path, target.file.path) != 0 {
            // Another file system: copy to a temporary name beside the target, then rename.
            try AtomicFile.write(try Data(contentsOf: file), to: target.file)
            try? FileManager.default.removeItem(at: file)
        }
        try AtomicFile.write(try Self.encoder.encode(metadata), to: target.metadata)
        return StoredOutput(url: target.file, metadata: metadata)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}

/// A cache in memory, for benchmarks and tests of the scheduler itself.
public final class MemoryOutputStore: OutputStore, @unchecked Sendable {
    private var entries: [String: StoredOutput] = [:]
    private let lock = NSLock()

    public init() {}

    public func lookup(_ key: String) -> StoredOutput? {
        lock.lock(); defer { lock.unlock() }
        return entries[key]
    }

    public func store(_ key: String, file: URL, metadata: OutputMetadata) throws -> StoredOutput {
        let stored = StoredOutput(url: file, metadata: metadata)
        lock.lock(); defer { lock.unlock() }
        entries[key] = stored
        return stored
    }
}
