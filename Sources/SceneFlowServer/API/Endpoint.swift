import Foundation
import HTTPTypes
import Hummingbird
import SceneFlowBasics

/// One route of the server, described once: its method and path, parameters, body, answers and
/// handler. From the list of them (`SceneFlowServer.endpoints`) come the router's routes (GET
/// ones answer HEAD too), the OpenAPI 3.1 document (`OpenAPIDocument`), the `Allow` header of
/// a 405 and the pages' 404s: the document is true by construction, and a route cannot exist
/// without being described.
struct Endpoint: Sendable {
    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// Who a route is for. The gate applies the access rules by path (`/api/` needs the token);
    /// this says how a route is documented and how its errors look.
    enum Audience: Sendable {
        /// `/api/`: JSON, documented, the token where the server has one.
        case api
        /// `/openapi.json`: documented, public.
        case document
        /// A page or a page's script or style: HTML (404 is a page), not in the document.
        case page
    }

    var method: HTTPRequest.Method
    /// The path in OpenAPI's form: `/api/v1/runs/{id}`.
    var path: String
    var audience: Audience = .api
    var operationID: String
    var summary: String
    var parameters: [Parameter] = []
    var body: Body?
    /// The answers this route gives (the common errors of its audience are added).
    var replies: [Reply]
    var handler: Handler

    /// The path as the router spells it: `{id}` → `:id`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : String(segment)
        }.joined(separator: "/")
    }

    /// Whether `path` (a canonical request path) is this endpoint's: `{x}` segments match any one segment.
    func matches(_ requestPath: String) -> Bool {
        let pattern = path.split(separator: "/"), segments = requestPath.split(separator: "/")
        return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }

    /// A parameter of a route.
    struct Parameter: Sendable {
        enum Location: String, Sendable { case path, query, header }
        var name: String
        var location: Location
        var schema: JSONSchema
        var description: String?
        var required: Bool

        init(_ name: String, in location: Location, _ schema: JSONSchema, _ description: String? = nil, required: Bool? = nil) {
            self.name = name
            self.location = location
            self.schema = schema
            self.description = description
            self.required = required ?? (location == .path)
        }

        static let idPattern = "^[a-z0-9][a-z0-9_-]*$"
        static let runID = Parameter("id", in: .path, .string(pattern: idPattern), "run id")
        static let templateID = Parameter("id", in: .path, .string(pattern: idPattern), "template id")
        static let productID = Parameter("product_id", in: .path, .string(pattern: idPattern), "product id")
        static let assetKey = Parameter("asset_key", in: .path, .string(), "a slot's asset key, or avatar:ID / background:ID for the product's own image")
        static let node = Parameter("node", in: .path, .string(pattern: "^[a-z0-9][a-z0-9_.:-]*$"), "node id (scene.kind, final.video, or an input's kind:id)")
        static let take = Parameter("take", in: .path, JSONSchema.integer.with { $0.minimum = 1; $0.maximum = 100_000 }, "take number")
        static let range = Parameter("Range", in: .header, .string(), "one byte range (bytes=a-b, bytes=a-, bytes=-n)")
    }

    /// A request body: the media types it may come in, each with its schema.
    struct Body: Sendable {
        var contents: [(mediaType: String, schema: JSONSchema)]
        var required = true
        var description: String?

        /// Any document at all, valid or not: the answer reports its problems (validate, save).
        static let anyTemplate = Body(contents: [("application/json", JSONSchema().with { $0.types = ["object", "array", "string", "number", "boolean", "null"] }),
                                                 ("application/yaml", JSONSchema())],
                                      description: "any template, valid or not: the answer reports its problems")

        static let template = Body(contents: [("application/json", .ref("#/components/schemas/Template")),
                                              ("application/yaml", .ref("#/components/schemas/Template"))])
        static let upload = Body(contents: [("multipart/form-data", .object(["file": .array(of: .string().with { $0.format = "binary" })], required: ["file"]))])
        static func json<T: Documented>(_ type: T.Type) -> Body { Body(contents: [("application/json", T.reference)]) }
    }

    /// One answer of a route: its status, what it means, and its body's media type and schema.
    struct Reply: Sendable {
        var status: Int
        var description: String
        var mediaType: String?
        var schema: JSONSchema?
        /// Other media types the same status may come in (a diagram as SVG or as JSON).
        var alternatives: [(mediaType: String, schema: JSONSchema)] = []

        static func json(_ status: Int, _ description: String, _ schema: JSONSchema) -> Reply {
            Reply(status: status, description: description, mediaType: JSONBody.contentType, schema: schema)
        }
        static func json<T: Documented>(_ status: Int, _ description: String, _ type: T.Type) -> Reply { json(status, description, T.reference) }
        static func list<T: Documented>(_ status: Int, _ description: String, of type: T.Type) -> Reply { json(status, description, .array(of: T.reference)) }
        /// An error in the contract's shape.
        static func error(_ status: Int, _ description: String) -> Reply { json(status, description, APIError.Body.reference) }
        static func media(_ status: Int, _ description: String, _ mediaType: String) -> Reply {
            Reply(status: status, description: description, mediaType: mediaType, schema: .string().with { $0.format = "binary" })
        }
        /// A file's bytes, whole (200), in part (206), or a range outside it (416).
        static let file: [Reply] = [media(200, "the file", "application/octet-stream"), media(206, "part of the file (Range)", "application/octet-stream"),
                                    error(416, "a range outside the file")]
    }
}

/// A body type of the API, with its JSON Schema beside it: the document's `components/schemas`
/// entry is the type's name.
protocol Documented {
    static var schema: JSONSchema { get }
    static var componentName: String { get }
}

extension Documented {
    static var componentName: String { String(describing: Self.self) }
    static var reference: JSONSchema { .ref("#/components/schemas/\(componentName)") }
}

extension Router<BasicRequestContext> {
    /// Registers an endpoint: its method at its path, and HEAD beside every GET (RFC 9110: a
    /// server that serves GET serves HEAD; download tools and players probe with it).
    func add(_ endpoint: Endpoint) {
        let path = RouterPath(stringLiteral: endpoint.routerPath)
        let handler = endpoint.handler
        on(path, method: endpoint.method, use: handler)
        guard endpoint.method == .get else { return }
        on(path, method: .head) { request, context in
            var response = try await handler(request, context)
            // The length GET would send, and no body.
            let length = response.headers[.contentLength].flatMap(Int.init) ?? response.body.contentLength
            response.body = ResponseBody(contentLength: length) { writer in try await writer.finish(nil) }
            return response
        }
    }
}
