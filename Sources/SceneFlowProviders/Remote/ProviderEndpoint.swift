import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// One provider's base URL and key, and the rule for where that key may go.
///
/// The key is attached only to URLs under the provider's own base URL (same scheme, host,
/// port and path prefix). URLs a response hands back — fal's `status_url`, a CDN media URL,
/// the target of a redirect — are followed as given, with the key only if they are still
/// under the base URL. A leaked key is a bill someone else runs up.
public struct ProviderEndpoint: Sendable {
    public let provider: Provider
    /// Without a trailing slash: `https://queue.fal.run`.
    public let base: String
    let key: String
    let keyVariable: String
    private let origin: URLComponents

    public init?(provider: Provider, base: String, key: String) {
        guard let keyVariable = provider.keyVariable, !key.isEmpty,
              var components = URLComponents(string: base), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", components.host?.isEmpty == false else { return nil }
        while components.path.hasSuffix("/") { components.path.removeLast() }
        self.provider = provider
        self.base = components.string ?? base
        self.key = key
        self.keyVariable = keyVariable
        self.origin = components
    }

    /// The default base URLs of `docs/providers.md`, overridable for a proxy or a
    /// loopback test server.
    public static func defaultBase(for provider: Provider) -> (variable: String, url: String)? {
        switch provider {
        case .fal: return ("SCENEFLOW_FAL_URL", "https://queue.fal.run")
        case .gemini, .veo: return ("SCENEFLOW_GEMINI_URL", "https://generativelanguage.googleapis.com")
        case .elevenlabs: return ("SCENEFLOW_ELEVENLABS_URL", "https://api.elevenlabs.io")
        case .local: return nil
        }
    }

    /// The endpoint the environment configures, or `nil` when its key is unset.
    public static func fromEnvironment(_ provider: Provider, _ environment: [String: String]) throws -> ProviderEndpoint? {
        guard let variable = provider.keyVariable, let key = environment[variable], !key.isEmpty,
              let (baseVariable, fallback) = defaultBase(for: provider) else { return nil }
        let base = environment[baseVariable].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
        guard let endpoint = ProviderEndpoint(provider: provider, base: base, key: key) else {
            throw ConfigurationError("\(baseVariable)=\(base) is not an http(s) URL")
        }
        return endpoint
    }

    /// `base` + `path` (which starts with `/`).
    public func url(_ path: String) -> String { base + path }

    /// Whether `url` is under the base URL, so the key may be sent there.
    public func owns(_ url: String) -> Bool {
        guard let other = URLComponents(string: url) else { return false }
        func port(_ c: URLComponents) -> Int? { c.port ?? (c.scheme?.lowercased() == "https" ? 443 : c.scheme?.lowercased() == "http" ? 80 : nil) }
        guard other.scheme?.lowercased() == origin.scheme?.lowercased(),
              other.host?.lowercased() == origin.host?.lowercased(), port(other) == port(origin) else { return false }
        let prefix = origin.path
        return prefix.isEmpty || other.path == prefix || other.path.hasPrefix(prefix + "/")
    }

    /// The header that carries the key, in each provider's documented form.
    var authHeader: (name: String, value: String) {
        switch provider {
        case .fal: return ("Authorization", "Key \(key)")
        case .gemini, .veo: return ("x-goog-api-key", key)
        case .elevenlabs: return ("xi-api-key", key)
        case .local: return ("", "")
        }
    }

    /// A request to `url`, authenticated only if the endpoint owns it.
    func request(_ method: HTTPRequest.Method, _ url: String, json: (some Encodable)? = nil as Never?, accept: String = "application/json") throws -> HTTPRequest {
        var headers: [(name: String, value: String)] = [("Accept", accept), ("User-Agent", "sceneflow/1")]
        if owns(url) { headers.append(authHeader) }
        var body: Data?
        if let json {
            body = try JSONCoding.compact.encode(json)
            headers.append(("Content-Type", "application/json"))
        }
        return HTTPRequest(method, url, headers: headers, body: body)
    }

    /// Removes this endpoint's key (and every other known key) from text bound for a user.
    func redact(_ text: String) -> String {
        Redaction.redact(key.count >= 4 ? text.replacingOccurrences(of: key, with: "[\(keyVariable)]") : text)
    }
}

/// A provider setting that cannot work (a malformed base URL).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
