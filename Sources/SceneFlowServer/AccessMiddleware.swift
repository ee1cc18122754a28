import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The contract's access rules, before any route runs: a bearer token on `/api/` when one is
/// set, and state-changing requests from a browser only from the server's own origin.
///
/// The dashboard's pages hold no data and need no token; their script asks the user for it
/// once and keeps it in a `SameSite=Strict` cookie, `sceneflow_token`, which this middleware
/// accepts as it accepts the header, so that images and the video player (which cannot send
/// headers) load too. Another site's page never sends that cookie, and its state-changing
/// requests are refused by the origin check either way.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    static var cookie: String { "sceneflow_token" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token, request.uri.path.hasPrefix("/api/") {
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
                throw APIError(.forbidden, "forbidden", "a \(request.method.rawValue) from another site (Sec-Fetch-Site: \(site)) is refused")
            }
            if let origin = request.headers[HTTPField.Name("Origin")!] {
                let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!] ?? ""
                guard origin == "http://\(host)" else {
                    throw APIError(.forbidden, "forbidden", "a \(request.method.rawValue) from the origin \(origin.prefix(100)) is refused; only this server's own pages may change things")
                }
            }
        }
        return try await next(request, context)
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
}

/// One log line per request: method, path, status, duration and the run id when there is one;
/// never a body, a query value or a header (any of them could hold a secret). Errors become
/// the contract's error shape here, including the router's own 404 and 405.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let status: HTTPResponse.Status
        let response: Response
        do {
            response = try await next(request, context)
            status = response.status
        } catch let error as APIError {
            status = error.status
            response = try error.response(from: request, context: context)
        } catch let error as HTTPResponseError where error.status == .notFound && !Self.allowed(request.uri.path).isEmpty {
            // The path exists, the method does not.
            status = .methodNotAllowed
            let allowed = Self.allowed(request.uri.path)
            var reply = try APIError(status, "method_not_allowed", "\(request.method.rawValue) is not served here; use \(allowed.joined(separator: ", "))")
                .response(from: request, context: context)
            reply.headers[.allow] = allowed.joined(separator: ", ")
            response = reply
        } catch let error as HTTPResponseError where error.status == .notFound && request.method == .get && Self.isPage(request.uri.path) {
            // A page that does not exist: the pages' 404, for people.
            status = .notFound
            response = SceneFlowServer.notFoundPage("There is no page \(request.uri.path.prefix(200)) here.")
        } catch let error as HTTPResponseError {
            status = error.status
            let code = status == .notFound ? "not_found" : status == .methodNotAllowed ? "method_not_allowed" : status.code == 413 ? "too_large" : "bad_request"
            let message = status == .notFound ? "no such route: \(request.method.rawValue) \(request.uri.path.prefix(200))" : status.reasonPhrase
            response = try APIError(status, code, message).response(from: request, context: context)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            status = .internalServerError
            logger.error("unexpected error", metadata: ["path": .string(String(request.uri.path.prefix(200)))])
            response = try APIError(.internalServerError, "internal", "the server failed: \(type(of: error))").response(from: request, context: context)
        }
        let elapsed = ContinuousClock.now - start
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(String(request.uri.path.prefix(200))),
            "status": .stringConvertible(status.code),
            "ms": .string(String(format: "%.1f", Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)),
        ]
        if let run = Self.runID(in: request.uri.path) { metadata["run"] = .string(run) }
        logger.info("request", metadata: metadata)
        return response
    }

    /// Whether a path is for people (not the API, not the OpenAPI document).
    static func isPage(_ path: String) -> Bool {
        !path.hasPrefix("/api/") && path != "/openapi.json"
    }

    /// The methods a path is served with: the API's from its document, GET and HEAD for pages.
    static func allowed(_ path: String) -> [String] {
        let api = OpenAPIDocument.methods(for: path)
        if !api.isEmpty { return api.contains("GET") ? api + ["HEAD"] : api }
        let segments = path.split(separator: "/").map(String.init)
        let page = SceneFlowServer.pagePaths.contains { pattern in
            let parts = pattern.split(separator: "/").map(String.init)
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }
        return page ? ["GET", "HEAD"] : []
    }

    static func runID(in path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 4, parts[0] == "api", parts[2] == "runs" else { return nil }
        return String(parts[3].prefix(80))
    }
}
