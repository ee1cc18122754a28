import Foundation
import SceneFlowTestSupport
import Testing

/// The dashboard in a real browser: Debian's Chromium driven by Selenium
/// (`Fixtures/dashboard_test.py`) against a real `sceneflow serve`: a two-scene template made
/// through the form, a product hydrated frames first, a frame regenerated and a take picked,
/// clips and the final cut, which plays. Screenshots of each step are written to
/// `.build/dashboard-screenshots/` (the path is printed).
@Suite(.timeLimit(.minutes(15)), .tags(.endToEnd), .serialized) struct DashboardTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dashboard_test.py")
    static let screenshots = packageRoot.appendingPathComponent(".build/dashboard-screenshots")

    @Test func aUserMakesATemplateHydratesReviewsAndPlaysTheCut() async throws {
        // Keys in the server's environment (unused offline): none may reach a page.
        let secrets = ["FAL_KEY": "fal-secret-4e1f9a7c", "GEMINI_API_KEY": "gemini-secret-88b2d0", "ELEVENLABS_API_KEY": "eleven-secret-19c7e3"]
        let server = try await ServerProcess.start(environment: secrets)
        defer { Task { _ = await server.stop() } }
        try? FileManager.default.removeItem(at: Self.screenshots.appendingPathComponent("journey"))
        let result = try await run("python3", [Self.script.path, server.base, packageRoot.appendingPathComponent("samples/products/grinder/product.png").path,
                                               sceneflowBinary.path, server.templates.path, Self.screenshots.appendingPathComponent("journey").path] + secrets.values.sorted(),
                                   timeout: 840)
        print("dashboard screenshots: \(Self.screenshots.appendingPathComponent("journey").path)")
        #expect(result.status == 0 && result.stdout.contains("PASS"), "\(result.stdout.suffix(5000))\n\(result.stderr.suffix(3000))")
        let shots = (try? FileManager.default.contentsOfDirectory(atPath: Self.screenshots.appendingPathComponent("journey").path)) ?? []
        #expect(shots.filter { $0.hasSuffix(".png") }.count >= 8, "a screenshot per step: \(shots)")
    }

    /// A failure met in the pages: in words, in place, with `Retry <node>` and `Replace <slot>`.
    /// The server uses the loopback providers; fal refuses the product image twice (a 422 whose
    /// `loc` names `image_urls[2]`), then takes it.
    @Test func aFailureIsReadableAndFixedInOneStep() async throws {
        let refusal: [String: Any] = ["status": 422, "body": ["detail": [["loc": ["body", "image_urls", 2], "msg": "Could not load the image", "type": "value_error"]]]]
        let providers = try await FakeProviders(scenario: ["faults": ["fal.result": [refusal, refusal]]])
        let server = try await ServerProcess.start(arguments: [], environment: providers.environment)
        defer { Task { _ = await server.stop() } }
        let script = Self.script.deletingLastPathComponent().appendingPathComponent("dashboard_failure_test.py")
        let shots = Self.screenshots.appendingPathComponent("failure")
        try? FileManager.default.removeItem(at: shots)
        let result = try await run("python3", [script.path, server.base, packageRoot.appendingPathComponent("samples/products/grinder/product.png").path, shots.path],
                                   timeout: 400)
        print("dashboard failure screenshots: \(shots.path)")
        #expect(result.status == 0 && result.stdout.contains("PASS"), "\(result.stdout.suffix(5000))\n\(result.stderr.suffix(3000))")
    }

    @Test func onATokenServerThePagesAskForTheTokenOnce() async throws {
        let token = "dash-token-7c19e2"
        let server = try await ServerProcess.start(host: "0.0.0.0", environment: ["SCENEFLOW_TOKEN": token])
        defer { Task { _ = await server.stop() } }
        let script = Self.script.deletingLastPathComponent().appendingPathComponent("dashboard_token_test.py")
        let result = try await run("python3", [script.path, server.base, token], timeout: 240)
        #expect(result.status == 0 && result.stdout.contains("PASS"), "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(2000))")
    }

    @Test func pagesAllowNothingFromOtherOrigins() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        for path in ["/", "/runs", "/products", "/products/p", "/queue", "/templates/new", "/templates/unboxing", "/templates/unboxing/hydrate?product_id=p"] {
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
