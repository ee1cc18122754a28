import Foundation

/// One generation, as a generator sees it: everything it needs, and nothing about the graph.
public struct Job: Sendable {
    public struct Input: Sendable, Hashable {
        /// Why this file is an input (`avatar`, `product_image`, `first_frame`, `audio`, ...).
        public var role: SceneGraph.EdgeType
        /// The node that produced it (`avatar:maya`, `hook.first_frame`).
        public var node: String
        public var file: URL
        public var sha256: String

        public init(role: SceneGraph.EdgeType, node: String, file: URL, sha256: String) {
            self.role = role
            self.node = node
            self.file = file
            self.sha256 = sha256
        }
    }

    public var node: String
    public var kind: JobKind
    public var operation: SceneGraph.Operation
    public var model: ModelInfo
    public var scene: String?
    /// The text the model is given, from `PromptBuilder` (recorded in the run report).
    public var prompt: String
    /// Everything else that shapes the output: `aspect_ratio`, `duration_s`, `camera`, `voice`,
    /// `dialogue`, `resolution`, ... Part of the cache key.
    public var parameters: [String: String]
    /// In a stable order: images in the order the prompt names them (`@Image1`, ...).
    public var inputs: [Input]
    /// A scratch folder owned by this attempt; the generator writes its output here.
    public var scratch: URL
    /// 1 for the first attempt.
    public var attempt: Int
    /// Durable per-job state for providers that must survive a crash (a fal request id):
    /// keyed by the cache key, so a resumed run finds the job it already paid for.
    public var journal: JobJournal

    public init(node: String, kind: JobKind, operation: SceneGraph.Operation, model: ModelInfo, scene: String?, prompt: String,
                parameters: [String: String], inputs: [Input], scratch: URL, attempt: Int, journal: JobJournal) {
        self.node = node
        self.kind = kind
        self.operation = operation
        self.model = model
        self.scene = scene
        self.prompt = prompt
        self.parameters = parameters
        self.inputs = inputs
        self.scratch = scratch
        self.attempt = attempt
        self.journal = journal
    }

    public func inputs(_ role: SceneGraph.EdgeType) -> [Input] { inputs.filter { $0.role == role } }
}

/// What a generator made.
public struct GeneratedOutput: Sendable {
    /// A file inside the job's scratch folder; the engine moves it into the cache.
    public var file: URL
    public var provider: Provider
    public var requestID: String? = nil
    /// USD, where the provider reports it.
    public var cost: Double? = nil
    /// The file's SHA-256, if the generator already knows it (else the engine computes it).
    public var sha256: String? = nil

    public init(file: URL, provider: Provider, requestID: String? = nil, cost: Double? = nil, sha256: String? = nil) {
        self.file = file
        self.provider = provider
        self.requestID = requestID
        self.cost = cost
        self.sha256 = sha256
    }
}

/// Why a generation failed, classified for the retry policy.
public struct GenerationError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// Timeouts, connection errors, 429, 5xx, a provider's "busy": worth retrying.
        case transient
        /// Validation errors, safety refusals, a corrupt input: retrying cannot help.
        case permanent
    }

    public var kind: Kind
    public var provider: Provider
    public var httpStatus: Int?
    /// With secrets removed (`Redaction`).
    public var message: String
    /// A delay the server asked for (Retry-After, Gemini's retryDelay).
    public var retryAfter: Double?

    public init(_ kind: Kind, provider: Provider, httpStatus: Int? = nil, message: String, retryAfter: Double? = nil) {
        self.kind = kind
        self.provider = provider
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfter = retryAfter
    }

    /// "fal: HTTP 422: prompt too long", as the run report shows it.
    public var description: String {
        "\(provider.rawValue): " + (httpStatus.map { "HTTP \($0): " } ?? "") + message
    }
}

/// Makes outputs for jobs. Each provider has one; the local engine is one too.
///
/// A generator must honour task cancellation (stop, cancel remote work it can cancel) and
/// classify every failure as a `GenerationError`; anything else thrown counts as permanent.
public protocol Generator: Sendable {
    func generate(_ job: Job) async throws -> GeneratedOutput
}

/// Durable key-value notes for one job, written atomically: survives `kill -9`.
public struct JobJournal: Sendable {
    public let file: URL?

    public init(file: URL?) { self.file = file }

    public static let none = JobJournal(file: nil)

    public func read() -> [String: String]? {
        guard let file, let data = FileManager.default.contents(atPath: file.path) else { return nil }
        return try? JSONDecoder().decode([String: String].self, from: data)
    }

    public func write(_ entries: [String: String]) throws {
        guard let file else { return }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try AtomicFile.write(try encoder.encode(entries), to: file)
    }

    public func clear() {
        guard let file else { return }
        try? FileManager.default.removeItem(at: file)
    }
}
