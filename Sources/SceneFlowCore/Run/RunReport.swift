import Foundation

/// `run.json` (CLI contract, "Run report"), plus provenance fields a user needs to trace an
/// output to what made it.
public struct RunReport: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        case running, succeeded, partial, failed, cancelled
    }

    public struct TemplateRef: Sendable, Codable {
        public var id: String
        public var sha256: String
        public var path: String?
    }

    public struct Node: Sendable, Codable {
        public var id: String
        public var kind: String
        public var operation: String
        public var status: NodeStatus
        public var attempts: Int
        public var model: String?
        public var provider: String?
        /// Relative to the run folder.
        public var output: String?
        public var sha256: String?
        public var startedAt: Date?
        public var finishedAt: Date?
        /// Provider, HTTP status where there was one, and message, with secrets removed.
        public var error: String?
        /// Why the node ran (or was reused): for `sceneflow explain`.
        public var reason: String?
        public var cacheKey: String?
        public var prompt: String?
        public var requestID: String?
        /// USD: reported by the provider, or (with `costEstimated`) the registry's estimate.
        public var cost: Double?
        public var costEstimated: Bool?
        /// True when `--offline` moved this job to the local engine.
        public var offline: Bool?

        enum CodingKeys: String, CodingKey {
            case id, kind, operation, status, attempts, model, provider, output, sha256, error, reason, prompt, cost, offline
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case cacheKey = "cache_key"
            case requestID = "request_id"
            case costEstimated = "cost_estimated"
        }

        // `error` is always present (null when none), as in the contract's example.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(kind, forKey: .kind)
            try c.encode(operation, forKey: .operation)
            try c.encode(status, forKey: .status)
            try c.encode(attempts, forKey: .attempts)
            try c.encodeIfPresent(model, forKey: .model)
            try c.encodeIfPresent(provider, forKey: .provider)
            try c.encode(output, forKey: .output)
            try c.encodeIfPresent(sha256, forKey: .sha256)
            try c.encodeIfPresent(startedAt, forKey: .startedAt)
            try c.encodeIfPresent(finishedAt, forKey: .finishedAt)
            try c.encode(error, forKey: .error)
            try c.encodeIfPresent(reason, forKey: .reason)
            try c.encodeIfPresent(cacheKey, forKey: .cacheKey)
            try c.encodeIfPresent(prompt, forKey: .prompt)
            try c.encodeIfPresent(requestID, forKey: .requestID)
            try c.encodeIfPresent(cost, forKey: .cost)
            try c.encodeIfPresent(costEstimated, forKey: .costEstimated)
            try c.encodeIfPresent(offline, forKey: .offline)
        }
    }

    public var runID: String
    public var template: TemplateRef
    public var status: Status
    public var startedAt: Date
    public var finishedAt: Date?
    public var offline: Bool
    public var productID: String?
    /// The final video, relative to the run folder, when it was made.
    public var finalVideo: String?
    public var cost: Double
    public var nodes: [Node]

    enum CodingKeys: String, CodingKey {
        case template, status, offline, cost, nodes
        case runID = "run_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case productID = "product_id"
        case finalVideo = "final_video"
    }

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    public func counts() -> [NodeStatus: Int] {
        nodes.reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public static func read(from url: URL) throws -> RunReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(RunReport.self, from: Data(contentsOf: url))
    }
}

/// When and how often to retry: capped exponential backoff with full jitter (a random delay
/// between 0 and min(cap, base × 2^attempt)), or exactly the delay a server asked for.
public struct RetryPolicy: Sendable {
    public var retries: Int
    public var base: Double
    public var cap: Double

    public init(retries: Int = 3, base: Double = 1, cap: Double = 60) {
        self.retries = retries
        self.base = base
        self.cap = cap
    }

    /// Seconds to wait before attempt `attempt + 1` after `error` on attempt `attempt`, or `nil`
    /// when not to retry.
    public func delay(after error: GenerationError, attempt: Int, random: () -> Double = { Double.random(in: 0...1) }) -> Double? {
        guard error.kind == .transient, attempt <= retries else { return nil }
        if let requested = error.retryAfter { return min(max(0, requested), cap * 10) }
        return random() * min(cap, base * pow(2, Double(attempt - 1)))
    }
}
