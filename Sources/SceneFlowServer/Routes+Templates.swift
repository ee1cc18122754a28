import Foundation
import Hummingbird
import SceneFlowCore
import Yams

/// The templates of the served folder: list, read, save (atomically; an invalid template is
/// saved and reported, never lost).
extension SceneFlowServer {
    func addTemplateRoutes(to router: Router<BasicRequestContext>) {
        router.getAndHead("/api/v1/templates") { _, _ in
            let items = folder.files().map { id, url -> [String: Any] in
                let summary = summaries.summary(of: url)
                return ["id": id, "file": url.lastPathComponent, "valid": summary.valid, "scenes": summary.scenes,
                        "errors": summary.errors, "warnings": summary.warnings]
            }
            return JSONBody.raw(.ok, try JSONSerialization.data(withJSONObject: items, options: [.sortedKeys, .withoutEscapingSlashes]))
        }
        router.getAndHead("/api/v1/templates/:id") { _, context in
            let id = try RequestSupport.id(context, "id", what: "template id")
            guard let url = folder.file(of: id) else { throw APIError.notFound("no template \"\(id)\" in the served folder") }
            let loaded: LoadedTemplate
            do { loaded = try LoadedTemplate.load(path: url.path) } catch { throw APIError.notFound("template \"\(id)\" cannot be read: \(error)") }
            let object: [String: Any] = ["id": id, "file": url.lastPathComponent, "template": Self.jsonValue(of: loaded) ?? NSNull(),
                                         "diagnostics": try Self.diagnosticObjects(Self.diagnostics(loaded))]
            return JSONBody.raw(.ok, try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        }
        router.post("/api/v1/templates/:id/images") { request, context in
            let id = try RequestSupport.id(context, "id", what: "template id")
            let scratch = options.workspace.root.appendingPathComponent("tmp/upload-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let files = try await MultipartUpload.receive(request, into: scratch, limit: Self.maxImageBytes)
            guard files.count == 1, let file = files.first else { throw APIError.badRequest("send one `file` part: the image") }
            return JSONBody.response(.created, ["path": try folder.storeImage(file, for: id)])
        }
        router.put("/api/v1/templates/:id") { request, context in
            let id = try RequestSupport.id(context, "id", what: "template id")
            let loaded = try await RequestSupport.template(request, options: options)
            let existing = folder.file(of: id)
            let isYAML = RequestSupport.mediaType(request).map { $0.contains("yaml") } ?? false
            let target = existing ?? folder.directory.appendingPathComponent("\(id).\(isYAML ? "yaml" : "json")")
            // JSON is YAML, so JSON may replace a YAML file; YAML would break a .json file.
            if isYAML, target.pathExtension == "json" {
                throw APIError.unsupportedMediaType("template \"\(id)\" is a JSON file (\(target.lastPathComponent)); send it as application/json")
            }
            guard folder.isInside(target) else { throw APIError.badRequest("template \"\(id)\" would be written outside the served folder") }
            do { try AtomicFile.write(Data(loaded.bytes), to: target) } catch {
                throw APIError(.internalServerError, "write_failed", "template \"\(id)\" could not be saved: \(error)")
            }
            let saved = LoadedTemplate.parse(bytes: loaded.bytes, path: target.path)
            let diagnostics = Self.diagnostics(saved)
            let object: [String: Any] = ["id": id, "file": target.lastPathComponent, "valid": !diagnostics.hasErrors,
                                         "diagnostics": try Self.diagnosticObjects(diagnostics)]
            return JSONBody.raw(existing == nil ? .created : .ok, try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        }
    }

    static func summary(_ url: URL) -> TemplateSummary {
        guard let loaded = try? LoadedTemplate.load(path: url.path) else { return TemplateSummary(valid: false, scenes: 0, errors: 1, warnings: 0) }
        let diagnostics = diagnostics(loaded)
        return TemplateSummary(valid: !diagnostics.hasErrors, scenes: loaded.template?.scenes.count ?? 0,
                               errors: diagnostics.filter { $0.severity == .error }.count, warnings: diagnostics.filter { $0.severity == .warning }.count)
    }

    /// The template's value as JSON (a YAML file converted), or nil if it does not parse.
    static func jsonValue(of loaded: LoadedTemplate) -> Any? {
        if loaded.format == .json { return try? JSONSerialization.jsonObject(with: Data(loaded.bytes)) }
        guard let text = String(validating: loaded.bytes, as: UTF8.self), let value = try? Yams.load(yaml: text),
              JSONSerialization.isValidJSONObject(value) else { return nil }
        return value
    }

    static func diagnosticObjects(_ diagnostics: [Diagnostic]) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(Diagnostic.sortedByPosition(diagnostics)))
    }
}
