import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Copies a file so that the copy shares nothing with the original: a user who edits or
/// truncates a delivered output cannot reach the cache through it (no hard links). A reflink
/// (`FICLONE`) where the file system has them (btrfs, XFS: instant, no extra space), else a
/// plain read and write. The copy is written under a
/// temporary name, flushed, and renamed into place.
public enum FileCopy {
    public static func copy(_ source: URL, to destination: URL) throws(AtomicFile.WriteError) {
        _ = try copy(source, to: destination, hashing: false)
    }

    /// Copies as `copy` does, and returns the SHA-256 of what was written (of the copy itself,
    /// read back after a reflink), so a caller can check the bytes it delivered.
    public static func copyHashing(_ source: URL, to destination: URL) throws(AtomicFile.WriteError) -> String {
        try copy(source, to: destination, hashing: true) ?? ""
    }

    private static func copy(_ source: URL, to destination: URL, hashing: Bool) throws(AtomicFile.WriteError) -> String? {
        func failure(_ code: Int32, _ what: String = "") -> AtomicFile.WriteError {
            AtomicFile.WriteError(path: destination.path, reason: what + String(cString: strerror(code)))
        }
        let input = open(source.path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure(errno, "cannot read \(source.lastPathComponent): ") }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw failure(errno) }
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent.prefix(200)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let output = open(temporary.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw failure(errno) }
        var code: Int32 = 0
        var hasher: SHA256? = hashing ? SHA256() : nil
        // FICLONE = _IOW(0x94, 9, int): share the blocks where the file system can (then the
        // copy is read back for its digest); else read and write, hashing as it goes.
        if ioctl(output, 0x4004_9409, input) == 0 {
            if hashing { code = plainCopy(output, nil, hasher: &hasher) }
        } else {
            code = plainCopy(input, output, hasher: &hasher)
        }
        if code == 0 && fsync(output) != 0 { code = errno }
        if close(output) != 0 && code == 0 { code = errno }
        if code == 0 && rename(temporary.path, destination.path) != 0 { code = errno }
        guard code == 0 else {
            unlink(temporary.path)
            throw failure(code)
        }
        return hasher.map { Digest.hex($0.finalize()) }
    }

    /// Reads `input` from its start to its end, writing to `output` (if any) and hashing (if asked).
    private static func plainCopy(_ input: Int32, _ output: Int32?, hasher: inout SHA256?) -> Int32 {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position = off_t(0)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, $0.count, position) }
            if n < 0 { if errno == EINTR { continue }; return errno }
            if n == 0 { return 0 }
            if hasher != nil { buffer.withUnsafeBytes { hasher!.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
            guard let output else {
                position += off_t(n)
                continue
            }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; return errno }
                written += w
            }
            position += off_t(n)
        }
    }
}
