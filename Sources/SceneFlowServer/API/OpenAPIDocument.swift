import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// The OpenAPI 3.1 document of the API (`GET /openapi.json`), built from the endpoints the
/// router serves and the schemas of the types they read and answer with. The template's JSON
/// Schema (`sceneflow schema`) is its `Template` component, so request bodies are described by
/// the same facts the decoder checks. Schemathesis checks the running server against it.
struct OpenAPIDocument: Encodable {
    var openapi = "3.1.0"
    var info = Info()
    var servers = [["url": "/"]]
    var paths: [String: [String: Operation]]
    var components: Components

    struct Info: Encodable {
        var title = "SceneFlow HTTP API"
        var version = "1"
        var description = """
        `sceneflow serve`: the HTTP contract of docs/api.md. Errors are {"error": {"code", "message", "diagnostics"?}}. \
        Bound to loopback no token is needed (and only loopback host names, or --allowed-host ones, are answered); \
        otherwise every /api/ request needs `Authorization: Bearer <SCENEFLOW_TOKEN>`. State-changing requests from \
        another origin get 403. The request path is made canonical before anything else; dot segments and escaped \
        separators are refused.
        """
    }

    struct Operation: Encodable {
        var operationId: String
        var summary: String
        var parameters: [ParameterObject]?
        var requestBody: RequestBody?
        var responses: [String: Response]
        var security: [[String: [String]]]?
    }

    struct ParameterObject: Encodable {
        var name: String
        var `in`: String
        var required: Bool
        var description: String?
        var schema: JSONSchema
    }

    struct RequestBody: Encodable {
        var required: Bool
        var description: String?
        var content: [String: MediaType]
    }

    struct MediaType: Encodable {
        var schema: JSONSchema
    }

    struct Response: Encodable {
        var description: String
        var content: [String: MediaType]?
    }

    struct Components: Encodable {
        var schemas: [String: JSONSchema]
        var securitySchemes = ["bearer": ["type": "http", "scheme": "bearer"]]
    }

    /// The document of `endpoints` (pages are not part of it).
    init(_ endpoints: [Endpoint], schemas: [any Documented.Type]) {
        var paths: [String: [String: Operation]] = [:]
        for endpoint in endpoints where endpoint.audience != .page {
            var replies = endpoint.replies
            if endpoint.audience == .api {
                replies += Self.commonErrors(for: endpoint).filter { common in !replies.contains { $0.status == common.status } }
            }
            var responses: [String: Response] = [:]
            for reply in replies {
                var content = reply.mediaType.map { [$0: MediaType(schema: reply.schema ?? JSONSchema())] }
                for other in reply.alternatives { content?[other.mediaType] = MediaType(schema: other.schema) }
                responses[String(reply.status)] = Response(description: reply.description, content: content)
            }
            let parameters = endpoint.parameters.map {
                ParameterObject(name: $0.name, in: $0.location.rawValue, required: $0.required, description: $0.description, schema: $0.schema)
            }
            let body = endpoint.body.map { body in
                RequestBody(required: body.required, description: body.description,
                            content: Dictionary(body.contents.map { ($0.mediaType, MediaType(schema: $0.schema)) }) { a, _ in a })
            }
            let operation = Operation(operationId: endpoint.operationID, summary: endpoint.summary, parameters: parameters.isEmpty ? nil : parameters,
                                      requestBody: body, responses: responses, security: endpoint.audience == .api ? [[:], ["bearer": []]] : nil)
            paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = operation
        }
        var components: [String: JSONSchema] = [:]
        for type in schemas { components[type.componentName] = type.schema }
        // Embedded, the template schema's own references point into the document.
        var template = TemplateSchema.schema().rewritingRefs { $0.replacingOccurrences(of: "#/$defs/", with: "#/components/schemas/Template/$defs/") }
        template.id = nil
        template.schemaURI = nil
        components["Template"] = template
        self.paths = paths
        self.components = Components(schemas: components)
    }

    /// The errors every API route may answer: the gate's (400 for a malformed request, 401
    /// without the token, 403 from another origin, 421 for a host this server does not
    /// answer), and 413 and 415 where a body is read.
    static func commonErrors(for endpoint: Endpoint) -> [Endpoint.Reply] {
        var errors: [Endpoint.Reply] = [
            .error(400, "malformed request (bad id, bad query value, malformed body or framing)"),
            .error(401, "a bearer token is required and was missing or wrong"),
            .error(403, "a state-changing request from another origin"),
            .error(421, "the Host names no host this server answers"),
        ]
        if endpoint.body != nil {
            errors.append(.error(413, "body too large"))
            errors.append(.error(415, "a media type the route does not read"))
        }
        return errors
    }

    /// The document as JSON, keys sorted.
    func json() -> Data {
        // Strings, numbers, booleans and schemas: encoding cannot fail.
        (try? JSONCoding.compact.encode(self)) ?? Data("{}".utf8)
    }
}
