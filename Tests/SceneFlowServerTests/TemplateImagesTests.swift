import Foundation
import SceneFlowTestSupport
import Testing

/// The editor's image uploads (an avatar's or background's picture, stored beside the
/// templates) and YAML bodies validated back as JSON for the form.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd), .serialized) struct TemplateImagesTests {
    @Test func anImageIsStoredBesideTheTemplatesByContent() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let image = packageRoot.appendingPathComponent("samples/products/grinder/product.png")
        let stored = try await server.request("POST", "/api/v1/templates/new-ad/images", ["-F", "file=@\(image.path)"])
        #expect(stored.status == 201, "\(stored.text)")
        let path = try #require(stored.object["path"] as? String)
        #expect(path.hasPrefix("images/new-ad-") && path.hasSuffix(".png"))
        #expect(try Data(contentsOf: server.templates.appendingPathComponent(path)) == Data(contentsOf: image))
        // The same bytes again: the same file, nothing replaced.
        #expect(try await server.request("POST", "/api/v1/templates/new-ad/images", ["-F", "file=@\(image.path)"]).object["path"] as? String == path)

        // A template using it validates (the path is relative to the template file).
        let template: [String: Any] = ["schema_version": 1, "id": "new-ad", "avatars": [["id": "sam", "image": path]],
                                       "scenes": [["id": "a", "avatar": "sam", "prompt": "Sam waves", "speaking": false]]]
        #expect(try await server.json("POST", "/api/v1/validate", template).object["valid"] as? Bool == true)

        // Not an image by content, a bad id, two files, another origin.
        let text = server.folder.appendingPathComponent("fake.png")
        try Data("not an image".utf8).write(to: text)
        let refused = try await server.request("POST", "/api/v1/templates/new-ad/images", ["-F", "file=@\(text.path)"])
        #expect(refused.status == 422 && refused.errorCode == "invalid_asset", "\(refused.text)")
        #expect(try await server.request("POST", "/api/v1/templates/..%2Fx/images", ["-F", "file=@\(image.path)"]).status == 400)
        #expect(try await server.request("POST", "/api/v1/templates/new-ad/images", ["-F", "file=@\(image.path)", "-F", "file=@\(image.path)"]).status == 400)
        #expect(try await server.request("POST", "/api/v1/templates/new-ad/images", ["-F", "file=@\(image.path)", "-H", "Origin: https://evil.example"]).status == 403)
        let files = try FileManager.default.contentsOfDirectory(atPath: server.templates.appendingPathComponent("images").path)
        #expect(files == [URL(fileURLWithPath: path).lastPathComponent], "only the one image was stored: \(files)")
    }

    /// The editor's previews: an image a template names, inside the served folder, by content;
    /// nothing else, however its path is spelled.
    @Test func previewsServeOnlyImagesInsideTheServedFolder() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let preview = try await server.request("GET", "/api/v1/templates/unboxing/image?path=assets/maya.png")
        #expect(preview.status == 200 && preview.headers["content-type"] == "image/png", "\(preview.status) \(preview.headers)")
        try FileManager.default.createSymbolicLink(at: server.templates.appendingPathComponent("assets/out.png"),
                                                   withDestinationURL: packageRoot.appendingPathComponent("samples/products/grinder/product.png"))
        for path in ["../ws/sceneflow.sqlite", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "unboxing.json", "assets/missing.png", "assets/out.png", "assets", "https://example.com/a.png"] {
            let answer = try await server.request("GET", "/api/v1/templates/unboxing/image?path=\(path)")
            #expect(answer.status == 404 || answer.status == 400, "\(path): \(answer.status)")
            #expect(!answer.text.contains(server.folder.path), "\(path): no server path in \(answer.text)")
        }
    }

    @Test func aYAMLBodyIsValidatedAndComesBackAsJSON() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let yaml = server.folder.appendingPathComponent("t.yaml")
        try Data("schema_version: 1\nid: y\nscenes:\n  - id: a\n    avatar: nobody\n".utf8).write(to: yaml)
        let reply = try await server.request("POST", "/api/v1/validate", ["-H", "Content-Type: application/yaml", "--data-binary", "@\(yaml.path)"])
        #expect(reply.status == 200 && reply.object["valid"] as? Bool == false)
        let scenes = (reply.object["template"] as? [String: Any])?["scenes"] as? [[String: Any]]
        #expect(scenes?.first?["avatar"] as? String == "nobody")
        let diagnostics = reply.object["diagnostics"] as? [[String: Any]] ?? []
        #expect(diagnostics.contains { $0["path"] as? String == "scenes[0].avatar" && $0["line"] as? Int == 5 })
        #expect(diagnostics.allSatisfy { $0["file"] as? String == "request.yaml" }, "no server path: \(diagnostics)")
    }
}
