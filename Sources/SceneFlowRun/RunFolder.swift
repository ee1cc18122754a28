import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// A run's folder: its outputs (copies, never links into the cache: a user edits what is here),
/// `run.json`, `timeline.json` and the diagram. Every name written is a plain file name inside
/// the folder (checked, never a path), and every write is atomic and reports its failure.
public struct RunFolder: Sendable {
    public let url: URL
    /// For a folder a run was given (`--out`): the lock it holds while the run writes there, and
    /// the names that were there before (`RunFolders` in the session).
    public var ownership: Ownership?

    public init(url: URL) {
        self.url = url.standardizedFileURL
    }

    /// An exclusive `flock` on the folder's lock file, released when the last copy of the
    /// folder's value goes (or the process dies).
    public final class Lock: Sendable {
        let descriptor: Int32
        public init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }

    public struct Ownership: Sendable {
        public var lock: Lock
        public var present: Set<String>
        public init(lock: Lock, present: Set<String>) {
            self.lock = lock
            self.present = present
        }
    }

    public func create() throws(AtomicFile.WriteError) {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw AtomicFile.WriteError(path: url.path, reason: Self.reason(error))
        }
    }

    /// The file `name` in the folder; refuses anything but a plain name.
    public func file(_ name: String) throws(AtomicFile.WriteError) -> URL {
        guard Self.isPlainName(name) else { throw AtomicFile.WriteError(path: name, reason: "not a plain file name inside the run folder") }
        return url.appendingPathComponent(name)
    }

    /// What was delivered does not hash to what the cache recorded: the cached file is damaged
    /// (a same-size edit with its time set back, a disk error) and must not be used.
    public struct DeliveryMismatch: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var expected: String
        public var found: String
        public var description: String {
            "the cached output for \(name) is damaged: its bytes hash to \(found.prefix(12)) where \(expected.prefix(12)) was stored"
        }
    }

    /// Copies a stored output in as `name` (a reflink where the file system can), hashing what
    /// it writes: the delivered file is what the report says, or this throws `DeliveryMismatch`
    /// (and the bad copy is removed). Returns the digest.
    @discardableResult
    public func deliver(_ stored: StoredOutput, as name: String) throws -> String {
        let target = try file(name)
        let digest = try FileCopy.copyHashing(stored.url, to: target)
        guard digest == stored.metadata.sha256 else {
            try? FileManager.default.removeItem(at: target)
            throw DeliveryMismatch(name: name, expected: stored.metadata.sha256, found: digest)
        }
        return digest
    }

    public func write(_ data: Data, as name: String) throws(AtomicFile.WriteError) {
        try AtomicFile.write(data, to: try file(name))
    }

    /// A name with no folder part, no `..`, nothing hidden, nothing a file system refuses.
    public static func isPlainName(_ name: String) -> Bool { FileName.isPlain(name) }

    /// The system's reason for a file error ("No space left on device"), not Foundation's sentence.
    public static func reason(_ error: Error) -> String { ErrorText.describe(error) }
}
