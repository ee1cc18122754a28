import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes that never leave a partial file: data goes to a temporary file in the destination's
/// folder, is flushed to disk (`fsync`), and is then renamed over the destination; the folder is
/// flushed too, so after a power loss the name points at the old file or the whole new one.
/// A crash leaves at most a stray hidden temporary file. Every failure (a full disk, a
/// read-only folder, a destination that is a folder) is thrown with the system's reason.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    public static func write(_ data: Data, to url: URL) throws(WriteError) {
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WriteError(path: url.path, reason: "the folder \(directory.path) does not exist")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw WriteError(path: url.path, reason: "it is a folder")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent.prefix(200)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        func failure(_ code: Int32) -> WriteError {
            WriteError(path: url.path, reason: String(cString: strerror(code)))
        }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        var code: Int32 = 0
        data.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    code = errno
                    return
                }
                written += n
            }
        }
        if code == 0 && fsync(fd) != 0 { code = errno }
        if close(fd) != 0 && code == 0 { code = errno }
        if code == 0 && rename(temporary.path, url.path) != 0 { code = errno }
        guard code == 0 else {
            unlink(temporary.path)
            throw failure(code)
        }
        syncFolder(directory)
    }

    /// Flushes a folder's entries (a rename into it) to disk; best effort.
    public static func syncFolder(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// File names SceneFlow writes or serves by name.
public enum FileName {
    /// A name with no folder part, no `..`, nothing hidden, nothing a file system refuses.
    public static func isPlain(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }
}
