import Foundation
import Logging
import SceneFlowBasics
import SceneFlowRun
@testable import SceneFlowServer
import SceneFlowTemplate
import Testing

@Suite(.timeLimit(.minutes(2))) struct OpenAPITests {
    /// The document describes exactly the routes the router serves: none missing, none invented.
    @Test func theDocumentDescribesEveryRouteAndNoOther() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let server = try SceneFlowServer(options: ServerOptions(templates: folder, workspace: Workspace(root: folder.appendingPathComponent("ws"))),
                                         logger: Logger(label: "test"))
        // The API and its document; the dashboard's pages are HTML and not part of it.
        // HEAD answers wherever GET does (RFC 9110); the document lists the GETs.
        let api = server.router().routes.filter { ($0.path.description.hasPrefix("/api/") || $0.path.description == "/openapi.json") && $0.method != .head }
        let served = Set(api.map { route -> String in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue) /\(path)"
        })
        let document = try #require(try JSONSerialization.jsonObject(with: server.document.value) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        let documented = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
        #expect(served == documented, "served but not documented: \(served.subtracting(documented).sorted()); documented but not served: \(documented.subtracting(served).sorted())")
        // Every operation says what its errors look like.
        for (path, methods) in paths {
            for (method, operation) in methods {
                let responses = (operation as? [String: Any])?["responses"] as? [String: Any] ?? [:]
                #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) has a success response")
                if path.hasPrefix("/api/") {
                    #expect(["400", "401", "421"].allSatisfy(responses.keys.contains), "\(method) \(path) documents the gate's refusals")
                }
            }
        }
        // Every schema a response or body names is in the document.
        let text = String(decoding: server.document.value, as: UTF8.self)
        let schemas = Set((document["components"] as? [String: Any])?["schemas"].flatMap { ($0 as? [String: Any])?.keys.map { $0 } } ?? [])
        for reference in text.components(separatedBy: "\"#/components/schemas/").dropFirst() {
            let name = String(reference.prefix { $0 != "\"" && $0 != "/" })
            #expect(schemas.contains(name), "\(name) is referred to and described")
        }
    }

    /// `docs/api.md` (the HTTP contract) and the server agree: every route and page in its tables
    /// is served with that method, and every route the server has is in a table.
    @Test func theContractPageListsExactlyTheServedRoutes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let server = try SceneFlowServer(options: ServerOptions(templates: folder, workspace: Workspace(root: folder.appendingPathComponent("ws"))),
                                         logger: Logger(label: "test"))
        let served = Set(server.endpoints.map { "\($0.method.rawValue) \($0.path)" })
        let page = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/api.md"), encoding: .utf8)
        var documented = Set<String>()
        for line in page.split(separator: "\n") where line.hasPrefix("| `") {
            // "| `GET /api/v1/runs/{id}` | ..." or, for a page, "| `/runs/{id}` | ...".
            let cell = line.dropFirst(3).prefix { $0 != "`" }
            let words = cell.split(separator: " ")
            let (method, path) = words.count == 2 ? (String(words[0]), String(words[1])) : ("GET", String(words[0]))
            documented.insert("\(method) \(path.split(separator: "?")[0])")
        }
        #expect(documented.count > 30, "the tables were read")
        #expect(served == documented, "served but not in docs/api.md: \(served.subtracting(documented).sorted()); in docs/api.md but not served: \(documented.subtracting(served).sorted())")
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The methods a 405 offers come from the same endpoints.
    @Test func aWrongMethodIsAnsweredWithTheRoutesMethods() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let server = try SceneFlowServer(options: ServerOptions(templates: folder, workspace: Workspace(root: folder.appendingPathComponent("ws"))),
                                         logger: Logger(label: "test"))
        let table = RouteTable(server.endpoints)
        #expect(table.allowed("/api/v1/runs") == ["GET", "HEAD", "POST"])
        #expect(table.allowed("/api/v1/templates/unboxing") == ["GET", "HEAD", "PUT"])
        #expect(table.allowed("/runs/20990101-000000-deadbeef") == ["GET", "HEAD"])
        #expect(table.allowed("/nowhere").isEmpty)
    }
}
