import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reading the files a user names (templates, inputs files, product images, avatars) safely:
/// only regular files are read (a FIFO would block forever, a device never end), the check is
/// made on the opened descriptor (no window between checking and reading), and sizes are capped
/// before anything is read into memory.
public enum RegularFile {
    /// What SceneFlow reads whole into memory at most (templates, inputs files, run reports).
    public static let defaultLimit = 256 << 20

    /// Opens `path` for reading if it is a regular file (symlinks followed), without blocking on
    /// a FIFO. The caller closes the descriptor.
    public static func open(_ path: String) throws(InputFileError) -> (descriptor: Int32, size: Int) {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw InputFileError(path: path, reason: code == ENOENT || code == ENOTDIR ? "no such file"
                                 : code == EACCES ? "permission denied" : String(cString: strerror(code)))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw InputFileError(path: path, reason: reason)
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            let what: String
            switch kind {
            case S_IFDIR: what = "it is a directory, not a file"
            case S_IFIFO: what = "it is a named pipe (FIFO), not a regular file"
            case S_IFCHR, S_IFBLK: what = "it is a device, not a regular file"
            case S_IFSOCK: what = "it is a socket, not a regular file"
            default: what = "it is not a regular file"
            }
            throw InputFileError(path: path, reason: what)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return (fd, Int(info.st_size))
    }

    /// The whole file, refused (before reading) when larger than `limit` bytes.
    public static func read(_ path: String, limit: Int) throws(InputFileError) -> [UInt8] {
        let (fd, size) = try open(path)
        defer { close(fd) }
        guard size <= limit else {
            throw InputFileError(path: path, reason: "it is \(ByteCount(size)); the limit is \(ByteCount(limit))")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, size - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { break }   // shrank while being read
                throw InputFileError(path: path, reason: String(cString: strerror(errno)))
            }
            filled += n
        }
        if filled < size { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// At most the first `count` bytes (for recognising a file's type by content).
    public static func head(_ path: String, count: Int) throws(InputFileError) -> [UInt8] {
        let (fd, _) = try open(path)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return Array(bytes.prefix(filled))
    }

    /// The size of a regular file, or an error saying why it is not one.
    public static func size(_ path: String) throws(InputFileError) -> Int {
        let (fd, size) = try open(path)
        close(fd)
        return size
    }
}

/// A byte count as people read it: "3.1 GB", "64 MB", "512 bytes".
public struct ByteCount: CustomStringConvertible, Sendable {
    public var bytes: Int
    public init(_ bytes: Int) { self.bytes = bytes }
    public var description: String {
        if bytes < 1 << 10 { return "\(bytes) bytes" }
        if bytes < 1 << 20 { return String(format: "%.0f KB", Double(bytes) / 1024) }
        if bytes < 1 << 30 { return String(format: "%.0f MB", Double(bytes) / 1048576) }
        return String(format: "%.1f GB", Double(bytes) / 1073741824)
    }
}

/// A file SceneFlow was asked to read but cannot (missing, a directory, no permission).
/// The CLI maps it to exit status 66 (EX_NOINPUT).
public struct InputFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): error: cannot read file: \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// Reads a whole regular file (not a FIFO, device or directory), refusing one larger than
    /// `limit` bytes before reading it.
    public static func readFile(_ path: String, limit: Int = RegularFile.defaultLimit) throws(InputFileError) -> [UInt8] {
        try RegularFile.read(path, limit: limit)
    }
}

