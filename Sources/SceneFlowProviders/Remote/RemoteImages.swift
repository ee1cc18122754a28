import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// Avatar and background images that a template gives as `https://` URLs, downloaded before
/// the run (keyless, redirects followed, size-capped, checked by content) into the workspace,
/// once per URL: later runs reuse the file, so the cache keys of the frames stay put. Delete the
/// workspace's `remote-images/` to fetch them again.
public enum RemoteImages {
    /// The https URLs among the template's avatar and background images.
    public static func references(in template: Template, directory: URL?) -> [URL] {
        let images = template.avatars.compactMap { $0.image?.value } + template.backgrounds.compactMap { $0.image?.value }
        var seen = Set<String>()
        return images.compactMap { reference in
            guard case .remote(let url) = ImageReference.resolve(reference, templateDirectory: directory),
                  seen.insert(url.absoluteString).inserted else { return nil }
            return url
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var problems: [String]
        public var description: String { problems.joined(separator: "\n") }
    }

    /// Downloads what is not already in `folder`; returns URL → file. Every failure is
    /// collected and thrown together, before anything runs.
    public static func fetch(_ urls: [URL], into folder: URL, http: HTTPClient = .shared,
                             settings: RemoteSettings = .fromEnvironment(ProcessInfo.processInfo.environment)) async throws -> [String: URL] {
        guard !urls.isEmpty else { return [:] }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var files: [String: URL] = [:]
        var problems: [String] = []
        await withTaskGroup(of: (String, Result<URL, Error>).self) { group in
            for url in urls {
                group.addTask { (url.absoluteString, await Result(catching: { try await fetch(url, into: folder, http: http, settings: settings) })) }
            }
            for await (url, result) in group {
                switch result {
                case .success(let file): files[url] = file
                case .failure(let error): problems.append("error: cannot download \(url): \(Redaction.redact("\(error)"))")
                }
            }
        }
        if !problems.isEmpty { throw Failure(problems: problems.sorted()) }
        return files
    }

    private static func fetch(_ url: URL, into folder: URL, http: HTTPClient, settings: RemoteSettings) async throws -> URL {
        let file = folder.appendingPathComponent(Digest.sha256(url.absoluteString))
        if MediaType.sniff(fileAt: file)?.isImage == true { return file }
        let partial = folder.appendingPathComponent(".\(file.lastPathComponent).part-\(getpid())")
        var request = HTTPRequest(.get, url.absoluteString, headers: [("Accept", "image/*"), ("User-Agent", "sceneflow/1")])
        request.followRedirects = true
        request.destination = partial
        request.maxBytes = settings.maxImageBytes
        request.connectTimeout = settings.connectTimeout
        request.timeout = settings.requestTimeout
        request.caBundle = settings.caBundle
        let response = try await http.send(request)
        guard response.isSuccess else {
            try? FileManager.default.removeItem(at: partial)
            throw ConfigurationError("HTTP \(response.status)")
        }
        guard MediaType.sniff(fileAt: partial)?.isImage == true else {
            try? FileManager.default.removeItem(at: partial)
            throw ConfigurationError("the answer is not a PNG, JPEG or WebP image")
        }
        guard rename(partial.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: partial)
            throw ConfigurationError("cannot store it in \(folder.path)")
        }
        return file
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
