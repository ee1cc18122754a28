import Foundation
import SceneFlowTestSupport
import Testing

/// Schemathesis (PyPI), an independent tool, generates requests from `GET /openapi.json` and
/// checks the real server's answers: no 5xx, every response as documented (status, content
/// type, headers, body schema), invalid requests refused, undocumented methods answered 405.
/// Left out: `positive_data_acceptance`, because a template can fit the schema and still be
/// refused for what it means (an avatar it never declares): that is a 422 by design.
@Suite(.timeLimit(.minutes(8)), .tags(.endToEnd), .serialized) struct SchemathesisTests {
    @Test func theServerKeepsItsDocumentUnderGeneratedRequests() async throws {
        let server = try await ServerProcess.start()
        defer { Task { _ = await server.stop() } }
        let result = try await run("schemathesis", [
            "run", server.base + "/openapi.json", "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--max-examples", "10", "--seed", "1", "--request-timeout", "30", "--workers", "1",
        ], in: server.folder, environment: ["NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"], timeout: 420)  // its cache stays out of the repository
        #expect(result.status == 0, "\(result.stdout.suffix(6000))")
        #expect(result.stdout.contains("passed"), "\(result.stdout.suffix(2000))")
        #expect(server.process.isRunning, "the server survived")
    }
}
