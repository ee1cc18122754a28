import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// A fuzzer of our own over a raw socket (issue 22): request lines, targets, versions, `Host`
/// values, tokens, framing and bodies drawn from a seeded generator, thrown at a token server
/// bound beyond loopback. After every request: no 5xx, an error is in the contract's shape, and
/// nothing under `/api/` answers 2xx without the token; at the end the server is alive. Bounded
/// (a fixed number of cases, each with a deadline), so it runs in CI; a failing case prints its
/// seed and bytes to replay.
@Suite(.timeLimit(.minutes(5)), .serialized, .tags(.endToEnd)) struct RawSocketFuzzTests {
    static let token = "fuzz-token-0123456789abcdef"

    @Test(arguments: [1, 2, 3]) func theServerHoldsUnderGeneratedRequests(seed: UInt64) async throws {
        let server = try await ServerProcess.start(host: "0.0.0.0", environment: ["SCENEFLOW_TOKEN": Self.token])
        defer { Task { _ = await server.stop() } }
        var random = SplitMix64(seed: seed)
        let cases = 600
        var statuses: [Int: Int] = [:]
        for index in 0..<cases {
            let (bytes, authorized, api) = Self.request(using: &random, port: server.port)
            // Answers to HEAD and CONNECT carry no body (HTTP's framing), so no error body either.
            let bodiless = bytes.starts(with: Array("HEAD ".utf8)) || bytes.starts(with: Array("CONNECT ".utf8))
            let reply = await server.raw(bytes, timeout: 5)
            statuses[reply.status, default: 0] += 1
            let shown = String(decoding: bytes.prefix(240), as: UTF8.self).debugDescription
            #expect(reply.status < 500, "seed \(seed) case \(index): \(reply.status) for \(shown)")
            if api && !authorized {
                #expect(!(200..<300).contains(reply.status), "seed \(seed) case \(index): an /api/ request without the token answered \(reply.status): \(shown)")
            }
            if reply.status >= 400, !bodiless, reply.headers["content-type"]?.hasPrefix("application/json") == true {
                #expect(reply.errorCode != nil, "seed \(seed) case \(index): not the error shape: \(reply.text.prefix(200)) for \(shown)")
            }
            if reply.status != 0 {
                #expect(reply.headers["x-content-type-options"] == "nosniff", "seed \(seed) case \(index): \(shown)")
            }
        }
        print("seed \(seed): \(cases) requests, statuses \(statuses.sorted { $0.key < $1.key })")
        let health = await server.raw(RawHTTP.request("GET", "/api/v1/health", headers: ["Host: 127.0.0.1", "Authorization: Bearer \(Self.token)"]))
        #expect(health.status == 200, "the server is alive after the fuzzing")
        #expect(server.process.isRunning)
    }

    /// One generated request: its bytes, whether it carries the right token, and whether its
    /// target (as the server will read it) is under `/api/`.
    static func request(using random: inout ServerSecurityTests.Seeded, port: Int) -> ([UInt8], Bool, Bool) {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        // Each request is well-formed but in one or two places (or none), so that the cases reach
        // the routes as well as the parser.
        enum Part: CaseIterable { case method, target, version, host, token, framing, header }
        var faulty = Set<Part>()
        for _ in 0..<Int(random.next() % 3) { faulty.insert(pick(Part.allCases)) }
        let method = faulty.contains(.method)
            ? pick(["get", "G ET", "CONNECT", "TRACE", "X", "", "PROPFIND", "GET\u{0}"])
            : pick(["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
        let paths = ["/api/v1/health", "/api/v1/templates", "/api/v1/templates/unboxing", "/api/v1/runs", "/api/v1/products",
                     "/api/v1/validate", "/api/v1/runs/20990101-000000-deadbeef/files/run.json", "/openapi.json", "/", "/runs",
                     "/templates/unboxing", "/api/v1/products/grinder/assets/product_1", "/API/v1/health", "/api", "/static/app.js"]
        var target = pick(paths)
        if faulty.contains(.target) {
            target = ServerSecurityTests.spelling(of: target, using: &random).target
            switch random.next() % 9 {
            case 0: target = "http://127.0.0.1:\(port)" + target
            case 1: target = "*"
            case 2: target = target + "?" + pick(["a=1", "token=\(token)", "%zz", "a=%00", String(repeating: "q", count: 2000)])
            case 3: target = String(decoding: (0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) | 0x20 }, as: UTF8.self)
            case 4: target = target + "#frag"
            case 5: target = String(repeating: "/a", count: 3000)
            default: break
            }
        }
        let version = faulty.contains(.version) ? pick(["HTTP/1.0", "HTTP/2.0", "HTTP/1.1 extra", "HTTX/1.1", "", "HTTP/1.10"]) : "HTTP/1.1"
        var headers: [String] = []
        if faulty.contains(.host) {
            switch random.next() % 4 {
            case 0: break
            case 1: headers.append("Host: evil.example")
            case 2: headers.append(contentsOf: ["Host: 127.0.0.1", "Host: evil.example"])
            default: headers.append("Host: " + pick(["", "[::1", "a b", "user@127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999"]))
            }
        } else {
            headers.append("Host: " + pick(["127.0.0.1", "127.0.0.1:\(port)", "localhost", "studio.example"]))
        }
        let authorized: Bool
        if faulty.contains(.token) {
            headers.append(pick(["Authorization: Bearer wrong-\(token)", "Authorization: Basic \(token)", "Authorization: bearer\(token)",
                                 "Cookie: sceneflow_token=x\(token)", "Authorization: Bearer \(token.prefix(10))"]))
            authorized = false
        } else if random.next() % 4 == 0 {
            authorized = false
        } else {
            headers.append(random.next() % 2 == 0 ? "Authorization: Bearer \(token)" : "Cookie: sceneflow_token=\(token)")
            authorized = true
        }
        var body: [UInt8] = []
        if faulty.contains(.framing) {
            switch random.next() % 6 {
            case 0: headers.append("Content-Length: -1")
            case 1: headers.append(contentsOf: ["Content-Length: 5", "Content-Length: 6"]); body = Array("12345".utf8)
            case 2: headers.append("Transfer-Encoding: chunked"); body = Array(pick(["zz\r\n{}\r\n0\r\n\r\n", "ffffffffffffffff\r\n"]).utf8)
            case 3: headers.append(contentsOf: ["Content-Length: 2", "Transfer-Encoding: chunked"]); body = Array("2\r\n{}\r\n0\r\n\r\n".utf8)
            case 4: headers.append("Content-Length: 100"); body = Array("short".utf8)
            default: headers.append("Transfer-Encoding: gzip, chunked")
            }
        } else if ["POST", "PUT"].contains(method) {
            body = Array(pick([#"{"schema_version": 1, "id": "fuzzed"}"#, #"{"template": "unboxing", "max_cost": 0}"#, "{}", "[]", "not json"]).utf8)
            headers.append("Content-Type: " + pick(["application/json", "application/yaml", "text/plain"]))
            headers.append("Content-Length: \(body.count)")
        }
        if faulty.contains(.header) {
            headers.append(pick(["Bad Header: x", "X-Nul: a\u{0}b", ": empty", "X-Obs-Fold: a\r\n b", "X-Big: " + String(repeating: "b", count: 120_000),
                                 "Origin: http://evil.example", "Sec-Fetch-Site: cross-site", "Last-Event-ID: {}", "Range: bytes=9-1"]))
        }
        var text = "\(method) \(target) \(version)\r\n"
        for header in headers { text += header + "\r\n" }
        text += "Connection: close\r\n\r\n"
        // Under /api/ as the server will read it: the first segment, decoded, is "api" in any case.
        let api: Bool = {
            var path = target
            if let range = path.range(of: "://") { path = String(path[range.upperBound...].drop { $0 != "/" }) }
            path = String(path.prefix { $0 != "?" && $0 != "#" })
            let first = path.split(separator: "/", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            return (first.removingPercentEncoding ?? first).lowercased() == "api"
        }()
        return (Array(text.utf8) + body, authorized, api)
    }
}
