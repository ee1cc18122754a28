import Foundation

/// A run's folder: its outputs (copies, never links into the cache: a user edits what is here),
/// `run.json`, `timeline.json` and the diagram. Every name written is a plain file name inside
/// the folder (checked, never a path), and every write is atomic and reports its failure.
public struct RunFolder: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url.standardizedFileURL
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

    /// Copies a stored output in as `name` (a reflink where the file system can).
    public func deliver(_ stored: StoredOutput, as name: String) throws(AtomicFile.WriteError) {
        try FileCopy.copy(stored.url, to: try file(name))
    }

    public func write(_ data: Data, as name: String) throws(AtomicFile.WriteError) {
        try AtomicFile.write(data, to: try file(name))
    }

    /// A name with no folder part, no `..`, nothing hidden, nothing a file system refuses.
    public static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }

    static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying?.code, underlying?.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(code))) }
        return (error as NSError).localizedDescription
    }
}
