import Foundation
import SceneFlowHTTP
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The libcurl transport itself, against the loopback server's raw faults.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct HTTPClientTests {
    @Test func manyConcurrentTransfersAllComplete() async throws {
        let server = try await FakeProviders()
        let client = HTTPClient()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<64 {
                group.addTask { try await client.send(HTTPRequest(.get, "\(server.root)/media/missing-\(i).png")).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 64 && statuses.allSatisfy { $0 == 404 })
    }

    @Test func anOversizedBodyIsStoppedAndItsFileRemoved() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["media": [["action": "oversize", "bytes": 8 << 20]]]])
        let folder = try temporaryDirectory()
        var request = HTTPRequest(.get, "\(server.root)/media/huge.png")
        request.maxBytes = 1 << 20
        request.destination = folder.appendingPathComponent("huge.png")
        await #expect(throws: HTTPError.tooLarge(limit: 1 << 20)) { try await HTTPClient.shared.send(request) }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("huge.png").path))
    }

    @Test func cancellingTheAwaitingTaskEndsTheTransfer() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["media": [["action": "hang", "seconds": 60]]]])
        let task = Task { try await HTTPClient.shared.send(HTTPRequest(.get, "\(server.root)/media/slow.png")) }
        #expect(await waitUntil(timeout: 120) { !server.requests("media").isEmpty })
        task.cancel()
        // Only a removed transfer ends in CancellationError: one left to run would end after the
        // server's 60 s with an empty reply (HTTPError). So no wall-clock bound is needed, and
        // none is asserted (parallel CLI tests can hold the test threads for many seconds).
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func aRefusedConnectionIsReported() async throws {
        // A port nobody listens on: bind one, note it, close it.
        let port = try unusedPort()
        var request = HTTPRequest(.get, "http://127.0.0.1:\(port)/")
        request.connectTimeout = 2
        do {
            _ = try await HTTPClient.shared.send(request)
            Issue.record("a closed port answered")
        } catch let error as HTTPError {
            guard case .cannotConnect = error else { Issue.record("expected cannotConnect, got \(error)"); return }
            #expect(error.isTransient)
        }
    }

    @Test func onlyHTTPAndHTTPSAreSpoken() async throws {
        await #expect(throws: HTTPError.self) { try await HTTPClient.shared.send(HTTPRequest(.get, "file:///etc/passwd")) }
    }
}

/// TLS: always verified; a CA bundle can be given, verification never turned off.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct TLSTests {
    @Test func anUntrustedCertificateIsRefusedAndATrustedOneAccepted() async throws {
        let server = try await FakeProviders(tls: true)
        let url = "\(server.root)/media/none.png"
        do {
            _ = try await HTTPClient.shared.send(HTTPRequest(.get, url))
            Issue.record("a self-signed certificate was accepted")
        } catch let error as HTTPError {
            guard case .insecure = error else { Issue.record("expected a TLS verification failure, got \(error)"); return }
            #expect(!error.isTransient, "an untrusted peer is not retried")
        }
        var trusted = HTTPRequest(.get, url)
        trusted.caBundle = server.certificate?.path
        #expect(try await HTTPClient.shared.send(trusted).status == 404)
    }
}
