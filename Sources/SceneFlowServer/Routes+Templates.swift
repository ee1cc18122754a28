import Foundation
import Hummingbird
import SceneFlowBasics
import SceneFlowProviders
import SceneFlowRun
import SceneFlowTemplate

/// The templates of the served folder: list, read, save (atomically; an invalid template is
/// saved and reported, never lost).
extension SceneFlowServer {
    var templateEndpoints: [Endpoint] {
        [
            Endpoint(method: .get, path: "/api/v1/templates", operationID: "listTemplates",
                     summary: "The templates of the served folder (file name without extension = id)",
                     replies: [.list(200, "the templates, by id", of: TemplateSummary.self)]) { _, _ in
                JSONBody.response(folder.files().map { id, url in summaries.summary(of: url).row(id: id, file: url.lastPathComponent) })
            },
            Endpoint(method: .get, path: "/api/v1/templates/{id}", operationID: "getTemplate", summary: "A template, its value as JSON and its diagnostics",
                     parameters: [.templateID],
                     replies: [.json(200, "the template", TemplateDocument.self), .error(404, "no such template")]) { _, context in
                let id = try RequestSupport.id(context, "id", what: "template id")
                guard let url = folder.file(of: id) else { throw APIError.notFound("no template \"\(id)\" in the served folder") }
                var loaded: LoadedTemplate
                do { loaded = try LoadedTemplate.load(path: url.path) } catch {
                    throw APIError.notFound("template \"\(id)\" cannot be read: \((error as? InputFileError)?.reason ?? "unreadable")")
                }
                // Diagnostics name the file as the served folder knows it, never a server path.
                loaded.path = url.lastPathComponent
                return JSONBody.response(TemplateDocument(id: id, file: url.lastPathComponent, template: loaded.value(),
                                                          diagnostics: Diagnostic.sortedByPosition(Self.diagnostics(loaded))))
            },
            Endpoint(method: .post, path: "/api/v1/templates/{id}/images", operationID: "uploadTemplateImage",
                     summary: "An avatar or background image for a template, stored as images/<id>-<sha>.<type> beside the templates; answers the path the template writes",
                     parameters: [.templateID], body: .upload,
                     replies: [.json(201, "stored", ImagePath.self), .error(422, "not an image a template can use")]) { request, context in
                let id = try RequestSupport.id(context, "id", what: "template id")
                let scratch = options.workspace.root.appendingPathComponent("tmp/upload-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: scratch) }
                let files = try await MultipartUpload.receive(request, into: scratch, limit: Self.maxImageBytes)
                guard files.count == 1, let file = files.first else { throw APIError.badRequest("send one `file` part: the image") }
                try await Self.refuseUndecodable([file])
                return JSONBody.response(.created, ImagePath(path: try folder.storeImage(file, for: id)))
            },
            Endpoint(method: .get, path: "/api/v1/templates/{id}/image", operationID: "templateImage",
                     summary: "An avatar or background image as a template names it (a path inside the served folder), for previews",
                     parameters: [.templateID, .init("path", in: .query, .string(), "the image's path as the template writes it", required: true)],
                     replies: [.media(200, "the image", "image/png"), .error(404, "no such image inside the served folder")]) { request, context in
                _ = try RequestSupport.id(context, "id", what: "template id")
                guard let path = RequestSupport.query(request, "path"), !path.isEmpty else { throw APIError.badRequest("?path= names the image") }
                // Resolved as a template's image is (never outside the folder, symlinks included), and an image by content.
                // Read once, then judged and served from memory: the image's own bytes (what follows
                // its end is not served), with the type its content says.
                guard case .file(let url) = ImageReference.resolve(path, templateDirectory: folder.directory),
                      let bytes = try? RegularFile.read(url.path, limit: ImageCheck.maxBytes),
                      let info = try? ImageCheck.inspect(bytes) else {
                    throw APIError.notFound("no image \"\(Slug.shown(path))\" in the served folder")
                }
                return Response(status: .ok, headers: [.contentType: "image/\(info.type.rawValue)", .cacheControl: "no-cache"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes.prefix(info.length))))
            },
            Endpoint(method: .put, path: "/api/v1/templates/{id}", operationID: "putTemplate",
                     summary: "Save a template atomically (an invalid one is saved and reported)", parameters: [.templateID], body: .anyTemplate,
                     replies: [.json(200, "saved over the existing file", SavedTemplate.self), .json(201, "saved as a new file", SavedTemplate.self)]) { request, context in
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
                    throw APIError(.internalServerError, "write_failed", "template \"\(id)\" could not be saved: \(ErrorText.describe(error))")
                }
                var saved = LoadedTemplate.parse(bytes: loaded.bytes, path: target.path)
                saved.path = target.lastPathComponent
                let diagnostics = Self.diagnostics(saved)
                return JSONBody.response(existing == nil ? .created : .ok,
                                         SavedTemplate(id: id, file: target.lastPathComponent, valid: !diagnostics.hasErrors,
                                                       diagnostics: Diagnostic.sortedByPosition(diagnostics)))
            },
        ]
    }

    struct ImagePath: Encodable, Documented {
        var path: String
        static var schema: JSONSchema { .object(["path": .string(description: "the image's path relative to the templates, as a template writes it")], required: ["path"]) }
    }

    /// 422 for an uploaded image whose pixels do not decode (the structure is checked where it is stored).
    static func refuseUndecodable(_ files: [URL]) async throws {
        for file in files where MediaType.sniff(fileAt: file)?.isImage == true && (try? ImageCheck.inspect(path: file.path)) != nil {
            if let problem = await ImageDecoding.shared.problem(file) {
                throw APIError(.unprocessableContent, "invalid_asset", "the upload is not an image SceneFlow can use: \(problem)")
            }
        }
    }

    static func summary(_ url: URL) -> TemplateSummary {
        guard let loaded = try? LoadedTemplate.load(path: url.path) else { return TemplateSummary(valid: false, scenes: 0, errors: 1, warnings: 0) }
        let diagnostics = diagnostics(loaded)
        return TemplateSummary(valid: !diagnostics.hasErrors, scenes: loaded.template?.scenes.count ?? 0,
                               errors: diagnostics.filter { $0.severity == .error }.count, warnings: diagnostics.filter { $0.severity == .warning }.count)
    }

    /// `GET /api/v1/templates/{id}`: the template as JSON (a YAML file converted; null when it
    /// does not parse) and its diagnostics.
    struct TemplateDocument: Encodable, Documented {
        static var schema: JSONSchema {
            .object(["id": .string(), "file": .string(), "template": .any(description: "the file's value as JSON; null when it does not parse"),
                     "diagnostics": .array(of: Diagnostic.reference)], required: ["id", "file", "template", "diagnostics"])
        }
        var id: String
        var file: String
        var template: LocatedValue?
        var diagnostics: [Diagnostic]

        enum CodingKeys: String, CodingKey { case id, file, template, diagnostics }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(file, forKey: .file)
            try container.encode(template, forKey: .template)  // null when it does not parse
            try container.encode(diagnostics, forKey: .diagnostics)
        }
    }

    /// `PUT /api/v1/templates/{id}`: where it was saved and what is left to fix.
    struct SavedTemplate: Encodable, Documented {
        static var schema: JSONSchema {
            .object(["id": .string(), "file": .string(), "valid": .boolean, "diagnostics": .array(of: Diagnostic.reference)],
                    required: ["id", "file", "valid", "diagnostics"])
        }
        var id: String
        var file: String
        var valid: Bool
        var diagnostics: [Diagnostic]
    }
}
