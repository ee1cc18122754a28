import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Which version of a file a path names now: device, inode, size, and modification and change
/// times to the nanosecond. Two equal versions are the same bytes unless someone wrote the file
/// and then set both its times back (`ctime` cannot be set back without root), so caches keyed
/// by a file's content check this first and hash only when it differs.
public struct FileVersion: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Nanoseconds since 1970.
    public var modified: Int64
    public var changed: Int64

    /// The version of the file at `path` (symlinks followed), or nil when it cannot be read.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    public init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    }
}
