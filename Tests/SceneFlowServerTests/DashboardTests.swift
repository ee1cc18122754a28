import Foundation
import SceneFlowTestSupport
import Testing

/// The dashboard in a real browser: Debian's Chromium driven by Selenium
/// (`Fixtures/dashboard_test.py`) against a real `sceneflow serve`: hydrate from the Hydrate
/// page, watch the run, play the final cut, regenerate a frame, edit and save a template.
@Suite(.timeLimit(.minutes(10)), .serialized) struct DashboardTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dashboard_test.py")

    @Test func aUserHydratesReviewsAndEditsInTheBrowser() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let result = try await run("python3", [Self.script.path, server.base, packageRoot.appendingPathComponent("samples/products/grinder/product.png").path],
                                   timeout: 540)
        #expect(result.status == 0 && result.stdout.contains("PASS"), "\(result.stdout.suffix(4000))\n\(result.stderr.suffix(3000))")
    }

    @Test func pagesAllowNothingFromOtherOrigins() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        for path in ["/", "/runs", "/templates/new", "/templates/unboxing", "/templates/unboxing/hydrate?product_id=p"] {
            let page = try await server.request("GET", path)
            #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true, "\(path)")
            let policy = page.headers["content-security-policy"] ?? ""
            #expect(policy.contains("default-src 'self'") && policy.contains("script-src 'self'") && !policy.contains("unsafe"), "\(path): \(policy)")
            #expect(!page.text.contains("http://") && !page.text.contains("https://"), "\(path) names no other origin")
        }
        #expect(try await server.request("GET", "/templates/..%2F..%2Fetc").status == 400)
        let script = try await server.request("GET", "/static/app.js")
        #expect(script.status == 200 && !script.text.contains("innerHTML"), "data reaches the page as text, never as markup")
    }
}
