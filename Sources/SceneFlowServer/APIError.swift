import Foundation
import Hummingbird
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// An error as the API contract shapes it: `{"error": {"code", "message", "diagnostics"?}}`
/// with a fitting status. Messages never carry a key (they are built from our own text,
/// diagnostics and redacted provider messages).
struct APIError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var diagnostics: [Diagnostic]?
    /// Extra response headers (`Allow`, `Content-Range`).
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, diagnostics: [Diagnostic]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }
    static func tooLarge(_ limit: Int) -> APIError { APIError(.contentTooLarge, "too_large", "the body is larger than \(ByteCount(limit))") }
    /// 507: a run that cannot be recorded (a full disk) is refused rather than started.
    static func insufficientStorage(_ message: String) -> APIError {
        APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "insufficient_storage", message)
    }
    static func unsupportedMediaType(_ message: String) -> APIError { APIError(.unsupportedMediaType, "unsupported_media_type", message) }
    static func invalid(_ message: String, diagnostics: [Diagnostic]) -> APIError {
        APIError(.unprocessableContent, "invalid", message, diagnostics: Diagnostic.sortedByPosition(diagnostics))
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response() }

    /// The error as the contract's JSON body with its status and headers.
    func response() -> Response {
        JSONBody.response(status, Body(error: .init(code: code, message: message, diagnostics: diagnostics)), headers: headers)
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var diagnostics: [Diagnostic]?
        }
        var error: Detail
    }
}

/// JSON responses: `application/json; charset=utf-8`, sorted keys (stable for clients and tests).
enum JSONBody {
    static let contentType = "application/json; charset=utf-8"

    static func response(_ value: some Encodable) -> Response { response(.ok, value) }

    static func response(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONCoding.compact.encode(value)) ?? Data(#"{"error":{"code":"internal","message":"the response could not be encoded"}}"#.utf8)
        return raw(status, data, headers: headers)
    }

    /// A body that is JSON text already (the library's own writers made it). Every JSON body
    /// passes here, and leaves with the server's folders written relative (`ServedPaths`).
    static func raw(_ status: HTTPResponse.Status = .ok, _ data: Data, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: ServedPaths.scrub(Array(data)))))
    }

    static func raw(_ status: HTTPResponse.Status = .ok, _ text: String) -> Response { raw(status, Data(text.utf8)) }

    /// JSON that has passed through `ServedPaths.scrub` already.
    static func scrubbed(_ status: HTTPResponse.Status = .ok, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
