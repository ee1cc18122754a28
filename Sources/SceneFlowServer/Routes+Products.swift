import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import MultipartKit
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate
import SceneFlowProviders
import SceneFlowStore

/// Products and their stored assets: list, upload (`multipart/form-data`, streamed to
/// temporary files and checked by content by the asset store), remove.
extension SceneFlowServer {
    /// The largest upload: one video (the asset store caps images at 64 MB itself).
    static let maxUploadBytes = 1 << 30
    /// The largest avatar or background image a template may get (as the asset store caps images).
    static let maxImageBytes = 64 << 20

    var productEndpoints: [Endpoint] {
        [
            Endpoint(method: .get, path: "/api/v1/products", operationID: "listProducts", summary: "Products with stored assets",
                     replies: [.list(200, "the products", of: ProductRow.self)]) { _, _ in
                JSONBody.response(try store.products().map { ProductRow(productID: $0.product, assets: $0.assets) })
            },
            Endpoint(method: .get, path: "/api/v1/products/{product_id}/assets", operationID: "listAssets", summary: "A product's stored assets",
                     parameters: [.productID], replies: [.list(200, "the stored assets", of: AssetRow.self)]) { _, context in
                let product = try RequestSupport.id(context, "product_id", what: "product id")
                return JSONBody.response(try store.assets(product: product).map { served(store.row($0), product: product) })
            },
            Endpoint(method: .post, path: "/api/v1/products/{product_id}/assets/{asset_key}", operationID: "uploadAssets",
                     summary: "Store files for a slot (multipart/form-data, `file` parts; checked by content; replaces the slot's files unless `append`)",
                     parameters: [.productID, .assetKey, .init("slot_type", in: .query, .oneOf(SlotType.allCases.map { .string($0.rawValue) }),
                                                               "the slot's type, when known: a file of the other kind is refused"),
                                  .init("append", in: .query, .boolean, "keep the slot's other files (add, rather than replace)")],
                     body: .upload,
                     replies: [.list(201, "the stored records", of: AssetRow.self), .error(422, "a file that is not what the slot takes")]) { request, context in
                let product = try RequestSupport.id(context, "product_id", what: "product id")
                let key = try Self.assetKey(context)
                // `?slot_type=product_image`: the slot's type, when the caller knows the template, so a
                // file of the wrong kind is refused here rather than stored and refused at the run.
                let slotType = try RequestSupport.query(request, "slot_type").map { value -> SlotType in
                    guard let type = SlotType(rawValue: value) else {
                        throw APIError.badRequest("\"\(Slug.shown(value))\" is not a slot type; slot types are \(SlotType.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return type
                }
                let append = try RequestSupport.flag(request, "append")
                let scratch = options.workspace.root.appendingPathComponent("tmp/upload-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: scratch) }
                let files = try await MultipartUpload.receive(request, into: scratch, limit: Self.maxUploadBytes)
                guard !files.isEmpty else { throw APIError.badRequest("the form has no `file` part") }
                try await Self.refuseUndecodable(files)
                do {
                    let stored = try store.addAssets(product: product, key: key, files: files, slotType: slotType, append: append)
                    return JSONBody.response(.created, stored.map { served(store.row($0), product: product) })
                } catch let error as StoreError {
                    let tooLarge = error.isTooLarge
                    throw APIError(tooLarge ? .contentTooLarge : .unprocessableContent, tooLarge ? "too_large" : "invalid_asset", error.description)
                }
            },
            Endpoint(method: .delete, path: "/api/v1/products/{product_id}/assets/{asset_key}", operationID: "removeAssets",
                     summary: "Remove a slot's files for the product", parameters: [.productID, .assetKey],
                     replies: [.json(200, "removed", Removed.self), .error(404, "the product has no assets for that key")]) { _, context in
                let product = try RequestSupport.id(context, "product_id", what: "product id")
                let key = try Self.assetKey(context)
                let removed = try store.removeAssets(product: product, key: key)
                guard !removed.isEmpty else { throw APIError.notFound("product \"\(product)\" has no assets for \"\(key)\"") }
                return JSONBody.response(Removed(removed: removed.count))
            },
        ]
    }

    /// A stored asset as served: where its bytes are.
    func served(_ row: AssetRow, product: String) -> AssetRow {
        var row = row
        let key = row.assetKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_"))) ?? row.assetKey
        row.url = "/api/v1/products/\(product)/assets/\(key)/files/\(row.sha256)"
        return row
    }

    struct Removed: Encodable, Documented {
        var removed: Int
        static var schema: JSONSchema { .object(["removed": .integer], required: ["removed"]) }
    }

    /// A slot's key, or `avatar:ID` / `background:ID` for the product's own image of one.
    static func assetKey(_ context: some RequestContext) throws -> String {
        let key = context.parameters.get("asset_key").map { $0.removingPercentEncoding ?? $0 } ?? ""
        guard Slug.problem(key) == nil || HydrationInputs.imageOverrideProblem(key) == nil else {
            throw APIError.badRequest("\"\(Slug.shown(key))\" is not an asset key (a slot's key, or avatar:ID / background:ID)")
        }
        return key
    }
}

/// Receives `multipart/form-data`: every part named `file` streamed to its own temporary file
/// (named after the part's file name, made safe), under a total size limit checked as bytes
/// arrive. MultipartKit's streaming parser does the parsing.
enum MultipartUpload {
    static func receive(_ request: Request, into folder: URL, limit: Int) async throws -> [URL] {
        guard RequestSupport.mediaType(request) == "multipart/form-data" else {
            throw APIError.unsupportedMediaType("uploads are multipart/form-data with one or more `file` parts")
        }
        guard let header = request.headers[.contentType], let boundary = boundary(in: header) else {
            throw APIError.badRequest("the multipart/form-data content type has no boundary")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.tooLarge(limit) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let state = PartState(folder: folder)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.header(name, value) }
        parser.onBody = { buffer in state.body(&buffer) }
        parser.onPartComplete = { state.complete() }
        var total = 0
        for try await buffer in request.body {
            total += buffer.readableBytes
            guard total <= limit else { throw APIError.tooLarge(limit) }
            do { try parser.execute(buffer) } catch { throw APIError.badRequest("the multipart body is malformed") }
            if let failure = state.failure { throw APIError(.internalServerError, "write_failed", failure) }
        }
        guard state.completed else { throw APIError.badRequest("the multipart body ends before its closing boundary") }
        return state.files
    }

    static func boundary(in contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }

    /// One part at a time (the parser calls back in order, on this task).
    final class PartState: @unchecked Sendable {
        let folder: URL
        var files: [URL] = []
        var failure: String?
        var completed = false
        private var headers: [String: String] = [:]
        private var handle: Int32?
        private var current: URL?

        init(folder: URL) { self.folder = folder }

        func header(_ name: String, _ value: String) {
            headers[name.lowercased()] = value
        }

        func body(_ buffer: inout ByteBuffer) {
            if handle == nil, current == nil { open() }
            guard let handle, failure == nil else { return }  // not a `file` part: ignored
            let written = buffer.withUnsafeReadableBytes { bytes -> Bool in
                var offset = 0
                while offset < bytes.count {
                    let n = write(handle, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    offset += n
                }
                return true
            }
            if !written { failure = "the upload could not be written: \(String(cString: strerror(errno)))" }
        }

        func complete() {
            if handle == nil, current == nil { open() }  // an empty file part
            if let handle { close(handle) }
            if let current, handle != nil { files.append(current) }
            handle = nil
            current = nil
            headers = [:]
            completed = true
        }

        private func open() {
            let disposition = headers["content-disposition"] ?? ""
            guard Self.parameter("name", in: disposition) == "file" else { current = URL(fileURLWithPath: "/dev/null"); return }
            let name = Self.safeName(Self.parameter("filename", in: disposition) ?? "upload")
            let folder = self.folder.appendingPathComponent(String(files.count))
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let url = folder.appendingPathComponent(name)
                let fd = Glibc.open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard fd >= 0 else { failure = "the upload could not be written: \(String(cString: strerror(errno)))"; return }
                handle = fd
                current = url
            } catch { failure = "the upload could not be written: \(ErrorText.describe(error))" }
        }

        static func parameter(_ name: String, in header: String) -> String? {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0].lowercased() == name { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            }
            return nil
        }

        /// The last path component, printable ASCII without separators, at most 100 characters.
        static func safeName(_ name: String) -> String {
            let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? "upload"
            let cleaned = String(last.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init)).prefix(100)
            return cleaned.isEmpty || cleaned.hasPrefix(".") ? "upload" : String(cleaned)
        }
    }
}
