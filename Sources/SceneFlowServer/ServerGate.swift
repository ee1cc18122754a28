import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1
import SceneFlowRun

/// The one door every request goes through before any route (API contract, "Access" and
/// "Additions"), in this order:
///
/// 1. the request target is made canonical (`RequestTarget`) or refused (400);
/// 2. the `Host` is one this server answers (`HostPolicy`) or the request is refused (421):
///    a page on another site that rebinds its name to 127.0.0.1 gets nothing;
/// 3. the access rules, on the canonical path the router will match: a bearer token (or the
///    dashboard's `sceneflow_token` cookie) on `/api/` when the server has one; state-changing
///    requests from a browser only from this server's own origin;
/// 4. the router, given the canonical target;
///
/// and then, for every response, refused or not: the contract's error shape, the security
/// headers (`X-Content-Type-Options: nosniff`, a Content Security Policy, no referrer across
/// origins, no embedding by other origins) and one log line (method, canonical path, status,
/// milliseconds, run id; never a query, a header or a body: any could hold a secret).
struct ServerGate<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    typealias Context = BasicRequestContext
    let inner: Inner
    let hosts: HostPolicy
    let token: String?
    let routes: RouteTable
    let logger: Logger

    static var cookie: String { "sceneflow_token" }

    /// The policy of every response that does not set its own (pages do): nothing runs, nothing loads
    /// but this server's images and inline styles (a served SVG diagram), nothing frames it.
    static var defaultPolicy: String {
        "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        var shownPath = "(refused target)"
        var response: Response
        do {
            let target: RequestTarget
            do { target = try RequestTarget.parse(request.head.path ?? "") } catch {
                throw APIError(.badRequest, "bad_request", error.message)
            }
            shownPath = String(target.path.prefix(200))
            // HTTPTypes keeps the first Host as the authority and any further ones as fields.
            try hosts.check((request.head.authority.map { [$0] } ?? []) + request.headers[values: HTTPField.Name("Host")!])
            try checkAccess(request, path: target.path)
            var head = request.head
            head.path = target.description
            response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            response = ErrorShaping.response(for: error, method: request.method, path: shownPath, routes: routes, logger: logger)
        }
        Self.secure(&response.headers)
        let elapsed = ContinuousClock.now - start
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(shownPath),
            "status": .stringConvertible(response.status.code),
            "ms": .string(String(format: "%.1f", Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)),
        ]
        if let run = Self.runID(in: shownPath) { metadata["run"] = .string(run) }
        logger.info("request", metadata: metadata)
        return response
    }

    /// The headers every response carries.
    static func secure(_ headers: inout HTTPFields) {
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = defaultPolicy }
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
    }

    /// The contract's access rules on the canonical path.
    func checkAccess(_ request: Request, path: String) throws {
        if let token, path.lowercased() == "/api" || path.lowercased().hasPrefix("/api/") {
            let header = request.headers[.authorization] ?? ""
            let cookie = Self.cookieValue(request.headers[values: .cookie]) ?? ""
            // Both compared, always, so the time taken says nothing about either.
            let byHeader = Self.constantTimeEqual(header, "Bearer " + token)
            let byCookie = Self.constantTimeEqual(cookie, token)
            guard byHeader || byCookie else {
                throw APIError(.unauthorized, "unauthorized", "this server needs `Authorization: Bearer <SCENEFLOW_TOKEN>`")
            }
        }
        if [.post, .put, .delete, .patch].contains(request.method) {
            if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
                throw APIError(.forbidden, "forbidden", "a \(request.method.rawValue) from another site (Sec-Fetch-Site: \(site.prefix(40))) is refused")
            }
            if let origin = request.headers[HTTPField.Name("Origin")!] {
                // The Host has passed the host check: the origin must be that very host.
                let host = (request.head.authority ?? "").lowercased()
                let lowered = origin.lowercased()
                guard !host.isEmpty, lowered == "http://\(host)" || lowered == "https://\(host)" else {
                    throw APIError(.forbidden, "forbidden", "a \(request.method.rawValue) from the origin \(origin.prefix(100)) is refused; only this server's own pages may change things")
                }
            }
        }
    }

    /// The `sceneflow_token` cookie's value (percent-decoded), if a `Cookie` header carries it.
    static func cookieValue(_ headers: [String]) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix(cookie + "=") else { continue }
                let value = String(trimmed.dropFirst(cookie.count + 1))
                return value.removingPercentEncoding ?? value
            }
        }
        return nil
    }

    /// Compares without returning early, so the time taken says nothing about the token.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }

    static func runID(in path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 4, parts[0] == "api", parts[2] == "runs" else { return nil }
        return String(parts[3].prefix(80))
    }
}

/// Errors become the contract's shape, in one place: the gate's refusals, the router's own
/// 404 and 405, and anything a route lets escape.
enum ErrorShaping {
    static func response(for error: Error, method: HTTPRequest.Method, path: String, routes: RouteTable, logger: Logger) -> Response {
        switch error {
        case let error as APIError:
            return error.response()
        case let error as HTTPParserError:
            return APIError(error == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest, "bad_request",
                            "the request is malformed: \(ErrorShaping.describe(error))").response()
        case let error as HTTPResponseError where error.status == .notFound && !routes.allowed(path).isEmpty:
            // The path exists, the method does not.
            let allowed = routes.allowed(path)
            var refusal = APIError(.methodNotAllowed, "method_not_allowed", "\(method.rawValue) is not served here; use \(allowed.joined(separator: ", "))")
            refusal.headers[.allow] = allowed.joined(separator: ", ")
            return refusal.response()
        case let error as HTTPResponseError where error.status == .notFound && method == .get && routes.isPage(path):
            return SceneFlowServer.notFoundPage("There is no page \(path.prefix(200)) here.")
        case let error as HTTPResponseError:
            let status = error.status
            let code = status == .notFound ? "not_found" : status == .methodNotAllowed ? "method_not_allowed" : status.code == 413 ? "too_large" : "bad_request"
            let message = status == .notFound ? "no such route: \(method.rawValue) \(path.prefix(200))" : status.reasonPhrase
            return APIError(status, code, message).response()
        case let error as StoreError:
            // The store said what is wrong (no SQL, no password): a database that is away is
            // worth trying again (503), anything else is the server's failure.
            logger.error("store failed", metadata: ["path": .string(String(path.prefix(200))), "error": .string(Redaction.redact(error.description))])
            return APIError(error.isUnavailable || error.isLocked ? .serviceUnavailable : .internalServerError,
                            error.isUnavailable || error.isLocked ? "unavailable" : "internal", Redaction.redact(error.description)).response()
        default:
            logger.error("unexpected error", metadata: ["path": .string(String(path.prefix(200))), "type": .string("\(type(of: error))")])
            return APIError(.internalServerError, "internal", "the server failed: \(type(of: error))").response()
        }
    }

    /// A parser error in words (NIO's names, spelled out).
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow: return "its headers are too large"
        case .invalidContentLength, .unexpectedContentLength: return "its Content-Length is invalid"
        case .invalidChunkSize: return "a chunk size of its body is invalid"
        case .invalidHeaderToken: return "a header holds an invalid character"
        case .invalidMethod: return "its method is invalid"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment: return "its request target is invalid"
        case .invalidVersion: return "its HTTP version is invalid"
        default: return "its framing is invalid"
        }
    }
}

/// Inside the router: the router's own not-found and wrong-method errors, and errors of routes,
/// become responses in the contract's shape (a page's 404 for people).
struct ErrorShapingMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return ErrorShaping.response(for: error, method: request.method, path: request.uri.path, routes: routes, logger: logger)
        }
    }
}
