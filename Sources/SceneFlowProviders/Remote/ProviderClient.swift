import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// Timeouts, polling and size caps for remote providers. Defaults suit real providers;
/// tests and the benchmark shorten them. `SCENEFLOW_HTTP_TIMEOUT` (seconds per JSON request)
/// `SCENEFLOW_POLL_INTERVAL` (seconds before the first status poll) and `SCENEFLOW_CA_BUNDLE`
/// (a PEM file of authorities to trust) override from the shell.
public struct RemoteSettings: Sendable {
    public var connectTimeout: Double = 10
    /// One JSON request (submit, status, result). ElevenLabs gets at least 240 s: long texts
    /// take that long and are billed even when the client gives up (elevenlabs-python#194).
    public var requestTimeout: Double = 120
    /// One media download.
    public var downloadTimeout: Double = 900
    /// First wait between status polls; it grows 1.5× per poll up to `maxPollInterval`.
    public var pollInterval: Double = 0.5
    public var maxPollInterval: Double = 8
    /// A job still running after this long is cancelled (where the provider allows) and failed.
    public var pollDeadline: Double = 3600
    /// Consecutive failed polls (5xx, resets, timeouts) tolerated before the attempt fails.
    public var pollFailures: Int = 5
    public var maxJSONBytes: Int64 = 96 << 20
    public var maxImageBytes: Int64 = 64 << 20
    public var maxVideoBytes: Int64 = 1 << 30
    public var maxAudioBytes: Int64 = 256 << 20
    /// Certificate authorities to trust instead of the system's (`SCENEFLOW_CA_BUNDLE`).
    public var caBundle: String?

    public init() {}

    public static func fromEnvironment(_ environment: [String: String]) -> RemoteSettings {
        var settings = RemoteSettings()
        if let value = environment["SCENEFLOW_HTTP_TIMEOUT"].flatMap(Double.init), value > 0 {
            settings.requestTimeout = value
            settings.connectTimeout = min(settings.connectTimeout, value)
        }
        if let bundle = environment["SCENEFLOW_CA_BUNDLE"], !bundle.isEmpty { settings.caBundle = bundle }
        if let value = environment["SCENEFLOW_POLL_INTERVAL"].flatMap(Double.init), value > 0 {
            settings.pollInterval = value
            settings.maxPollInterval = max(value, min(settings.maxPollInterval, value * 16))
        }
        return settings
    }
}

/// HTTP for one provider: the endpoint's key policy, timeouts on every request, and every
/// failure turned into a classified, secret-free `GenerationError`.
struct ProviderClient: Sendable {
    let endpoint: ProviderEndpoint
    let settings: RemoteSettings
    let http: HTTPClient

    var provider: Provider { endpoint.provider }

    /// Sends a request; a transfer that did not complete becomes a `GenerationError`.
    func send(_ request: HTTPRequest, step: String, timeout: Double? = nil) async throws -> HTTPResponse {
        var request = request
        request.connectTimeout = settings.connectTimeout
        request.timeout = timeout ?? settings.requestTimeout
        request.caBundle = settings.caBundle
        if request.destination == nil { request.maxBytes = settings.maxJSONBytes }
        do {
            return try await http.send(request)
        } catch let error as HTTPError {
            var failure = GenerationError(error.isTransient ? .transient : .permanent, provider: provider,
                                          message: endpoint.redact("\(step): \(error)"))
            if case .cannotConnect = error { failure.neverSent = true }
            throw failure
        }
    }

    /// Sends a request whose answer must be a 2xx JSON body of type `T`.
    func json<T: Decodable>(_ type: T.Type, _ request: HTTPRequest, step: String, timeout: Double? = nil) async throws -> (HTTPResponse, T) {
        let response = try await send(request, step: step, timeout: timeout)
        guard response.isSuccess else { throw failure(response, step: step) }
        return (response, try decode(type, response, step: step))
    }

    /// The body as the documented `T`, or a transient failure saying what came instead (a
    /// proxy's HTML page, a cut body, another shape).
    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse, step: String) throws -> T {
        do { return try JSONCoding.decoder.decode(type, from: response.body) } catch {
            throw GenerationError(.transient, provider: provider, httpStatus: response.status,
                                  message: endpoint.redact("\(step): the response is not the documented JSON: \(Self.snippet(response.body))"))
        }
    }

    /// A non-2xx answer, classified: 408, 429 and 5xx are worth retrying; other 4xx are not.
    func failure(_ response: HTTPResponse, step: String) -> GenerationError {
        let message = endpoint.redact("\(step): " + Self.message(from: response.body))
        let transient = response.status == 408 || response.status == 429 || (500...599).contains(response.status)
        return GenerationError(transient ? .transient : .permanent, provider: provider, httpStatus: response.status,
                               message: message, retryAfter: Self.retryAfter(response))
    }

    /// Downloads media to `file`. The key goes only to URLs the endpoint owns, and then
    /// redirects are followed by hand so that a redirect elsewhere loses the key; other URLs
    /// (CDNs) follow redirects freely, keyless. 404 or 410 means the provider no longer has it.
    func download(_ url: String, to file: URL, maxBytes: Int64, step: String) async throws -> HTTPResponse {
        var current = url
        for _ in 0...5 {
            var request = try endpoint.request(.get, current, accept: "*/*")
            request.followRedirects = !endpoint.owns(current)
            request.destination = file
            request.maxBytes = maxBytes
            let response = try await send(request, step: step, timeout: settings.downloadTimeout)
            let errorBody = response.isSuccess ? Data() : (try? Data(contentsOf: file)) ?? Data()
            if !response.isSuccess { try? FileManager.default.removeItem(at: file) }
            if (300...399).contains(response.status), let location = response.header("location") {
                guard let next = URL(string: location, relativeTo: URL(string: current))?.absoluteString else { break }
                current = next
                continue
            }
            if response.status == 404 || response.status == 410 {
                throw GenerationError(.transient, provider: provider, httpStatus: response.status,
                                      message: "\(step): the result has expired on the provider (results are kept for a limited time); it will be generated again")
            }
            guard response.isSuccess else {
                throw failure(HTTPResponse(status: response.status, headers: response.headers, body: errorBody, url: response.url), step: step)
            }
            return response
        }
        throw GenerationError(.permanent, provider: provider, message: "\(step): too many redirects")
    }

    // MARK: Reading providers' answers

    /// The human part of an error body: fal's `detail` (string, list or object), Google's
    /// `error.message`, ElevenLabs' `detail.message`, or the start of the body.
    static func message(from body: Data) -> String {
        guard let json = try? JSONSerialization.jsonObject(with: body) else { return snippet(body) }
        func describe(_ value: Any) -> String? {
            if let text = value as? String { return text }
            if let list = value as? [[String: Any]] {
                return list.map { item in
                    let loc = (item["loc"] as? [Any])?.map { "\($0)" }.filter { $0 != "body" }.joined(separator: ".")
                    let msg = item["msg"] as? String ?? item["message"] as? String ?? "\(item)"
                    return loc.map { $0.isEmpty ? msg : "\($0): \(msg)" } ?? msg
                }.joined(separator: "; ")
            }
            if let object = value as? [String: Any] {
                let status = object["status"] as? String
                let message = object["message"] as? String
                return [status, message].compactMap { $0 }.joined(separator: ": ")
            }
            return nil
        }
        if let object = json as? [String: Any] {
            if let detail = object["detail"], let text = describe(detail), !text.isEmpty {
                if let type = object["error_type"] as? String { return "\(text) (\(type))" }
                return text
            }
            if let error = object["error"] as? [String: Any], let text = describe(error), !text.isEmpty { return text }
            if let text = describe(object), !text.isEmpty { return text }
        }
        return snippet(body)
    }

    /// The start of a body, for messages: printable text only.
    static func snippet(_ body: Data) -> String {
        if body.isEmpty { return "(empty body)" }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let printable = text.unicodeScalars.allSatisfy { $0.value >= 32 || $0 == "\n" || $0 == "\t" }
        return printable ? text.replacingOccurrences(of: "\n", with: " ") + (body.count > 300 ? "…" : "") : "(\(body.count) bytes, not text)"
    }

    /// Retry-After (seconds or an HTTP date) or retry-after-ms.
    static func retryAfter(_ response: HTTPResponse) -> Double? {
        if let ms = response.header("retry-after-ms").flatMap(Double.init) { return ms / 1000 }
        guard let value = response.header("retry-after") else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}

/// Waits between polls: starts at the settings' interval and grows 1.5× up to its maximum.
struct PollBackoff {
    private var next: Double
    private let maximum: Double
    private let deadline: Date

    init(_ settings: RemoteSettings) {
        next = settings.pollInterval
        maximum = settings.maxPollInterval
        deadline = Date().addingTimeInterval(settings.pollDeadline)
    }

    var expired: Bool { Date() >= deadline }

    mutating func wait(atLeast minimum: Double = 0) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(next, minimum) * 1e9))
        next = min(maximum, next * 1.5)
    }
}

/// The loop every long-running job shares: ask until there is an answer, waiting longer each
/// time; ride out a few transient failures in a row (a 500 on one status poll is not a failed
/// job); give up at the deadline.
enum Polling {
    static func until<T>(_ settings: RemoteSettings, atDeadline: () async -> GenerationError,
                         _ check: () async throws -> T?) async throws -> T {
        var backoff = PollBackoff(settings)
        var failures = 0
        while true {
            do {
                if let value = try await check() { return value }
                failures = 0
            } catch let error as GenerationError where error.kind == .transient && !error.isExpiry {
                failures += 1
                if failures > settings.pollFailures { throw error }
                try await backoff.wait(atLeast: error.retryAfter ?? 0)
                continue
            }
            if backoff.expired { throw await atDeadline() }
            try await backoff.wait()
        }
    }
}

extension GenerationError {
    /// The provider no longer has the job or its result (404/410): polling again cannot help.
    var isExpiry: Bool { httpStatus == 404 || httpStatus == 410 }
}
