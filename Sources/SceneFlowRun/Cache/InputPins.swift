import Crypto
import Foundation
import SceneFlowBasics
import SceneFlowTemplate

#if canImport(Glibc)
import Glibc
#endif

/// A run's input files, pinned: each is copied (a reflink where the file system has them,
/// never a hard link) into `cache/inputs/ab/<sha256>.<ext>` as it is hashed, and every job
/// reads the copy. An input that is replaced, edited or deleted while the run goes on cannot
/// change what the run makes, nor what the cache says it was made from.
///
/// A file already pinned, unchanged since (same device, inode, size, modification and
/// change times: the change time cannot be set back by hand), is found through a small index
/// by its path, so a rerun does not copy a large video again.
public struct InputPins: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// What the index remembers of a pinned file.
    struct Entry: Codable, Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64
        var sha256: String
        var fileExtension: String
        /// The pinned copy's own size and modification time, to notice it was touched.
        var pinnedSize: Int64
        var pinnedModified: Int64
    }

    /// Pins `source` and returns the copy with its digest.
    public func pin(_ source: URL) throws(Problem) -> FileRef {
        let input = open(source.path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Problem(description: "cannot read \(source.path): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        var before = Glibc.stat()
        guard fstat(input, &before) == 0, before.st_mode & S_IFMT == S_IFREG else {
            throw Problem(description: "\(source.path) is not a regular file")
        }
        let ext = Self.safeExtension(source.pathExtension)
        let indexFile = directory.appendingPathComponent("index/\(Digest.sha256(source.standardizedFileURL.path)).json")
        if let data = FileManager.default.contents(atPath: indexFile.path), let entry = try? JSONCoding.decoder.decode(Entry.self, from: data),
           entry == Self.entry(before, sha256: entry.sha256, ext: entry.fileExtension, pinned: Self.status(of: pinned(entry.sha256, entry.fileExtension).path)) {
            return FileRef(url: pinned(entry.sha256, entry.fileExtension), sha256: entry.sha256)
        }
        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("index"), withIntermediateDirectories: true)
        } catch {
            throw Problem(description: "cannot create \(directory.path): \(ErrorText.describe(error))")
        }
        let temporary = directory.appendingPathComponent(".pin-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let output = open(temporary.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw Problem(description: "cannot write in \(directory.path): \(String(cString: strerror(errno)))") }
        var keep = false
        defer { if !keep { unlink(temporary.path) } }
        let digest: String
        do {
            // FICLONE = _IOW(0x94, 9, int): share the blocks, then hash the copy (which nobody else can change).
            if ioctl(output, 0x4004_9409, input) == 0 {
                digest = try Self.hash(output)
            } else {
                digest = try Self.copyHashing(input, output)
            }
            guard fsync(output) == 0 else { throw Problem(description: String(cString: strerror(errno))) }
        } catch {
            close(output)
            throw Problem(description: "cannot pin \(source.path): \(error)")
        }
        close(output)
        var after = Glibc.stat()
        guard stat(source.path, &after) == 0, Self.sameVersion(before, after) else {
            throw Problem(description: "\(source.path) changed while it was read; run again once it is no longer being written")
        }
        let target = pinned(digest, ext)
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw Problem(description: "cannot create \(target.deletingLastPathComponent().path): \(ErrorText.describe(error))")
        }
        var existing = Glibc.stat()
        if stat(target.path, &existing) == 0, existing.st_size == before.st_size, existing.st_mode & S_IFMT == S_IFREG {
            // Pinned before (another path, another run): the same bytes are there already.
        } else {
            chmod(temporary.path, 0o444)
            guard rename(temporary.path, target.path) == 0 else {
                throw Problem(description: "cannot pin \(source.path) as \(target.path): \(String(cString: strerror(errno)))")
            }
            keep = true
            AtomicFile.syncFolder(target.deletingLastPathComponent())
        }
        // The index only saves a copy next time; a run is right without it.
        if let data = try? JSONCoding.compact.encode(Self.entry(before, sha256: digest, ext: ext, pinned: Self.status(of: target.path))) {
            try? AtomicFile.write(data, to: indexFile)
        }
        return FileRef(url: target, sha256: digest)
    }

    func pinned(_ sha256: String, _ ext: String) -> URL {
        directory.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent("\(sha256).\(ext)")
    }

    private static func status(of path: String) -> Glibc.stat? {
        var info = Glibc.stat()
        return stat(path, &info) == 0 ? info : nil
    }

    static func entry(_ info: Glibc.stat, sha256: String, ext: String, pinned: Glibc.stat?) -> Entry {
        let version = FileVersion(info), pinnedVersion = pinned.map(FileVersion.init)
        return Entry(device: version.device, inode: version.inode, size: version.size, modified: version.modified, changed: version.changed,
                     sha256: sha256, fileExtension: ext, pinnedSize: pinnedVersion?.size ?? -1, pinnedModified: pinnedVersion?.modified ?? -1)
    }

    static func sameVersion(_ a: Glibc.stat, _ b: Glibc.stat) -> Bool { FileVersion(a) == FileVersion(b) }

    static func safeExtension(_ ext: String) -> String {
        let lower = ext.lowercased()
        return !lower.isEmpty && lower.count <= 8 && lower.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? lower : "bin"
    }

    private static func hash(_ fd: Int32) throws(Problem) -> String {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position = off_t(0)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, position) }
            if n < 0 { if errno == EINTR { continue }; throw Problem(description: String(cString: strerror(errno))) }
            if n == 0 { return Digest.hex(hasher.finalize()) }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            position += off_t(n)
        }
    }

    private static func copyHashing(_ input: Int32, _ output: Int32) throws(Problem) -> String {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position = off_t(0)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, $0.count, position) }
            if n < 0 { if errno == EINTR { continue }; throw Problem(description: String(cString: strerror(errno))) }
            if n == 0 { return Digest.hex(hasher.finalize()) }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; throw Problem(description: String(cString: strerror(errno))) }
                written += w
            }
            position += off_t(n)
        }
    }
}
