import Foundation
import Hummingbird
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// Reading requests: bodies under a limit, templates by content type, ids by the id rule.
enum RequestSupport {
    /// The whole body, refused (413) past `limit` bytes as it arrives, not after.
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.tooLarge(limit) }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else { throw APIError.tooLarge(limit) }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// The media type of the body, without parameters, lowercased.
    static func mediaType(_ request: Request) -> String? {
        request.headers[.contentType].map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// A template in the body: JSON (`application/json`, the default) or YAML
    /// (`application/yaml`, `application/x-yaml`, `text/yaml`). Relative image paths resolve in
    /// the templates folder, as for a template saved there.
    static func template(_ request: Request, options: ServerOptions) async throws -> LoadedTemplate {
        let format: String
        switch mediaType(request) {
        case nil, "application/json": format = "json"
        case "application/yaml", "application/x-yaml", "text/yaml": format = "yaml"
        case let other?: throw APIError.unsupportedMediaType("a template is application/json or application/yaml, not \(other.prefix(80))")
        }
        let bytes = try await body(request, limit: options.maxTemplateBytes)
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw APIError.badRequest("the body is empty; send a template (JSON, or YAML with Content-Type: application/yaml)")
        }
        var loaded = LoadedTemplate.parse(bytes: bytes, path: options.templates.appendingPathComponent("request.\(format)").path)
        // Diagnostics name the body, not a path on the server (which does not exist).
        loaded.path = "request.\(format)"
        return loaded
    }

    /// A path parameter that must follow the id rule `[a-z0-9][a-z0-9_-]*` (400 otherwise:
    /// never a path outside the server's folders).
    static func id(_ context: some RequestContext, _ name: String, what: String) throws -> String {
        guard let value = context.parameters.get(name), Slug.problem(value) == nil else {
            let shown = context.parameters.get(name).map { Slug.shown($0) } ?? ""
            throw APIError.badRequest("\"\(shown)\" is not a \(what): ids are lowercase letters, digits, '_' and '-', starting with a letter or digit")
        }
        return value
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name)
    }

    /// `true`, `false` or absent (400 for anything else).
    static func flag(_ request: Request, _ name: String) throws -> Bool {
        switch query(request, name) {
        case nil, "false", "0": return false
        case "true", "1": return true
        case let other?: throw APIError.badRequest("?\(name)= takes true or false, not \(Slug.shown(other))")
        }
    }
}
