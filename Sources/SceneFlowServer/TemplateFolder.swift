import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate
import Synchronization

/// The templates a server serves: the `.json`, `.yaml` and `.yml` files at the top of its
/// folder whose names (without the extension) follow the id rule; that name is the template's
/// id in the API. Nothing outside the folder is read or written (symlinks are resolved first).
struct TemplateFolder: Sendable {
    let directory: URL
    static let extensions = ["json", "yaml", "yml"]

    /// Every served template file, by id, in id order.
    func files() -> [(id: String, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var found: [String: URL] = [:]
        for name in names.sorted() {
            let url = directory.appendingPathComponent(name)
            let id = url.deletingPathExtension().lastPathComponent
            guard Self.extensions.contains(url.pathExtension), Slug.problem(id) == nil, found[id] == nil, isInside(url) else { continue }
            found[id] = url
        }
        return found.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The file of template `id`, if there is one.
    func file(of id: String) -> URL? {
        guard Slug.problem(id) == nil else { return nil }
        return Self.extensions.lazy.map { directory.appendingPathComponent("\(id).\($0)") }
            .first { FileManager.default.fileExists(atPath: $0.path) && isInside($0) }
    }

    /// Whether `url`, symlinks resolved, is a regular file directly in the folder.
    func isInside(_ url: URL) -> Bool {
        let folder = directory.resolvingSymlinksInPath().standardizedFileURL.path
        let resolved = url.resolvingSymlinksInPath().standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            // A new file: its folder must be ours.
            return url.deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL.path == folder
        }
        return resolved.deletingLastPathComponent().path == folder
    }

    /// The folder uploaded avatar and background images go to, beside the templates.
    static let imagesFolder = "images"

    /// Stores an uploaded image for template `id`'s avatars or backgrounds under
    /// `images/<id>-<first 12 hex of its SHA-256>.<type>`: checked by content, moved in
    /// atomically, never replacing a different file (the same bytes land on the same name).
    /// Returns the path relative to the folder, as a template writes it.
    func storeImage(_ file: URL, for id: String) throws -> String {
        let info: ImageInfo
        do { info = try ImageCheck.inspect(path: file.path) } catch {
            throw APIError(.unprocessableContent, "invalid_asset", "the upload is not an image a template can use: \(error.reason)")
        }
        // Stored without what follows the image's end (an appended archive or page).
        let bytes: Data
        do { bytes = Data(try RegularFile.read(file.path, limit: ImageCheck.maxBytes).prefix(info.length)) } catch {
            throw APIError.badRequest("the upload cannot be read")
        }
        let digest = Digest.sha256(bytes)
        let ext = info.type == .jpeg ? "jpg" : info.type.rawValue
        let relative = "\(Self.imagesFolder)/\(id)-\(digest.prefix(12)).\(ext)"
        let folder = directory.appendingPathComponent(Self.imagesFolder, isDirectory: true)
        let target = directory.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            guard folder.resolvingSymlinksInPath().deletingLastPathComponent().standardizedFileURL.path == directory.resolvingSymlinksInPath().standardizedFileURL.path else {
                throw APIError.badRequest("the images folder is not inside the served folder")
            }
            if FileManager.default.fileExists(atPath: target.path), (try? Digest.sha256(fileAt: target)) == digest { return relative }
            try AtomicFile.write(bytes, to: target)
        } catch let error as APIError { throw error } catch {
            throw APIError(.internalServerError, "write_failed", "the image could not be saved: \(ErrorText.describe(error))")
        }
        return relative
    }
}

/// What the template list says of one template.
struct TemplateSummary: Sendable, Equatable {
    var valid: Bool
    var scenes: Int
    var errors: Int
    var warnings: Int

    /// One row of `GET /api/v1/templates`.
    struct Row: Encodable {
        var id: String
        var file: String
        var valid: Bool
        var scenes: Int
        var errors: Int
        var warnings: Int
    }

    func row(id: String, file: String) -> Row {
        Row(id: id, file: file, valid: valid, scenes: scenes, errors: errors, warnings: warnings)
    }
}

extension TemplateSummary: Documented {
    static var schema: JSONSchema {
        .object(["id": .string(), "file": .string(), "valid": .boolean, "scenes": .integer, "errors": .integer, "warnings": .integer],
                required: ["id", "file", "valid", "scenes", "errors", "warnings"])
    }
}

/// Template summaries kept by file, reused while the file's size and modification time (to the
/// nanosecond) are unchanged, so listing a large folder does not validate every template on
/// every request. Templates that reference other files (images) are summarised again when
/// they change; a summary also depends on those images existing, so an entry is kept at most
/// `maxAge` seconds.
final class TemplateSummaries: Sendable {
    private struct Entry {
        var version: FileVersion
        var made: ContinuousClock.Instant
        var summary: TemplateSummary
    }
    private let entries = Mutex<[String: Entry]>([:])
    let maxAge: Duration

    init(maxAge: Duration = .seconds(10)) { self.maxAge = maxAge }

    func summary(of url: URL) -> TemplateSummary {
        guard let version = FileVersion(path: url.path) else { return SceneFlowServer.summary(url) }
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[url.path] }), entry.version == version, now - entry.made < maxAge {
            return entry.summary
        }
        let summary = SceneFlowServer.summary(url)
        entries.withLock { $0[url.path] = Entry(version: version, made: now, summary: summary) }
        return summary
    }
}
