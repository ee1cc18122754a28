import Foundation

/// One HTTP exchange to make. Every request carries its own timeouts and size cap: a provider
/// that hangs or streams a 2 GB "image" costs a bounded amount of time and disk.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", put = "PUT", delete = "DELETE", head = "HEAD" }

    public var method: Method
    public var url: String
    /// Sent as given; callers decide which headers (keys) a URL may see.
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// Seconds to establish the connection (TCP + TLS).
    public var connectTimeout: Double = 10
    /// Seconds for the whole exchange, body included.
    public var timeout: Double = 60
    /// Follow 3xx responses (media downloads). Off for requests that carry a key: a redirect
    /// must never take a key to another host.
    public var followRedirects = false
    /// The most body bytes accepted; more ends the transfer with `HTTPError.tooLarge`.
    public var maxBytes: Int64 = 16 << 20
    /// Stream the body to this file instead of memory (large media).
    public var destination: URL?
    /// Send this part of a file as the body (a PUT), read as it is sent: never whole in memory.
    public var upload: Upload?
    /// Sign the request with AWS Signature Version 4 (libcurl computes it: `CURLOPT_AWS_SIGV4`).
    public var awsSigV4: AWSSignature?
    /// A PEM file of certificate authorities to trust instead of the system's (a company's
    /// TLS-inspecting proxy, a test server). Verification itself is never turned off.
    public var caBundle: String?

    public init(_ method: Method, _ url: String, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// A byte range of a file to send as the body.
    public struct Upload: Sendable {
        public var file: URL
        public var offset: Int64
        public var length: Int64
        public init(file: URL, offset: Int64 = 0, length: Int64) {
            self.file = file
            self.offset = offset
            self.length = length
        }
    }

    /// What libcurl needs to sign a request for AWS (or an S3-compatible server). The secret
    /// never appears in a message: `description` names the key id's first characters only.
    public struct AWSSignature: Sendable, CustomStringConvertible {
        /// `aws:amz:REGION:SERVICE`.
        public var provider: String
        public var accessKeyID: String
        public var secretAccessKey: String
        public init(region: String, service: String = "s3", accessKeyID: String, secretAccessKey: String) {
            provider = "aws:amz:\(region):\(service)"
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }
        public var description: String { "AWS SigV4 (\(provider), key \(accessKeyID.prefix(4))…)" }
    }

    /// The value of a header, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// What came back. `body` is empty when the request streamed to a `destination`.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Names lower-cased; of the last response when redirects were followed.
    public var headers: [String: String]
    public var body: Data
    public var file: URL?
    /// The URL that answered (after redirects).
    public var url: String

    public init(status: Int, headers: [String: String], body: Data, file: URL? = nil, url: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.file = file
        self.url = url
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A transfer that did not produce a complete response. The messages never include the
/// request's headers, so they are safe to show.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing answered in time (`connect` says whether the connection was never made).
    case timedOut(seconds: Double, connect: Bool)
    /// The host refused, could not be resolved, or TLS failed.
    case cannotConnect(String)
    /// The connection broke mid-exchange (reset, closed early, nothing received).
    case connectionLost(String)
    /// The body ended before its declared length.
    case truncated(received: Int64)
    /// The body passed `maxBytes`.
    case tooLarge(limit: Int64)
    /// TLS verification failed: never retried, never bypassed.
    case insecure(String)
    case invalidRequest(String)
    /// The body could not be written to the destination file (a full disk).
    case cannotWrite(String)
    case other(code: Int, message: String)

    public var description: String {
        switch self {
        case .timedOut(let s, let connect):
            return connect ? "could not connect within \(format(s)) s" : "no complete response within \(format(s)) s"
        case .cannotConnect(let m): return "cannot connect: \(m)"
        case .connectionLost(let m): return "connection lost: \(m)"
        case .truncated(let n): return "response body truncated after \(n) bytes"
        case .tooLarge(let limit): return "response body larger than the \(limit / (1 << 20)) MB limit; transfer stopped"
        case .insecure(let m): return "TLS verification failed: \(m)"
        case .invalidRequest(let m): return "invalid request: \(m)"
        case .cannotWrite(let m): return "cannot write the response: \(m)"
        case .other(let code, let m): return "transfer failed (curl \(code)): \(m)"
        }
    }

    /// Worth trying again: the server or the network may do better next time.
    public var isTransient: Bool {
        switch self {
        case .timedOut, .cannotConnect, .connectionLost, .truncated, .other: return true
        case .tooLarge, .insecure, .invalidRequest, .cannotWrite: return false
        }
    }

    private func format(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }
}
