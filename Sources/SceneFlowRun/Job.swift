import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// One generation, as a generator sees it: the typed work, the model, and where to write;
/// nothing about the graph. Made by `JobBuilder`; every generator switches over `work`.
public struct Job: Sendable {
    /// A file a job reads: what the node `node` made (or the user gave), in a role.
    public struct Input: Sendable, Hashable {
        /// Why this file is an input (`avatar`, `product_image`, `first_frame`, `audio`, ...).
        public var role: EdgeType
        /// The node that produced it (`avatar:maya`, `hook.first_frame`).
        public var node: String
        public var file: URL
        public var sha256: String

        public init(role: EdgeType, node: String, file: URL, sha256: String) {
            self.role = role
            self.node = node
            self.file = file
            self.sha256 = sha256
        }
    }

    /// What to make.
    public enum Work: Sendable {
        case frame(FrameWork)
        case speech(SpeechWork)
        case clip(ClipWork)
        case cut(CutWork)
    }

    public var node: String
    public var model: ModelInfo
    public var work: Work
    /// Which take of this node (1 for the first); a new take varies the output (a seed, framing).
    public var take: Int
    /// A seed the user chose for this take (providers that take one); else the take number is.
    public var seed: Int?
    /// The key of this job's first take, under which its takes are indexed; set when the take
    /// differs from the job in more than its number (an edited prompt, a chosen seed).
    public var jobKey: String?
    /// How many takes of this job the run makes at once (a regenerated node's variations): this
    /// one and the ones numbered before it.
    public var variations = 1
    /// A scratch folder owned by this attempt; the generator writes its output here.
    public var scratch: URL
    /// 1 for the first attempt.
    public var attempt: Int
    /// Durable per-job state for providers that must survive a crash (a fal request id):
    /// keyed by the cache key, so a resumed run finds the job it already paid for.
    public var journal: JobJournal

    public init(node: String, model: ModelInfo, work: Work, take: Int = 1, scratch: URL, attempt: Int = 1, journal: JobJournal = .none) {
        self.node = node
        self.model = model
        self.work = work
        self.take = take
        self.scratch = scratch
        self.attempt = attempt
        self.journal = journal
    }

    public var kind: JobKind {
        switch work {
        case .frame(let frame): return frame.kind
        case .speech: return .audio
        case .clip: return .video
        case .cut: return .combine
        }
    }

    /// The text the model is given (recorded in the run report).
    public var prompt: String {
        switch work {
        case .frame(let frame): return frame.prompt
        case .speech(let speech): return speech.text
        case .clip(let clip): return clip.prompt
        case .cut: return ""
        }
    }

    /// Gives a frame or a clip another prompt (a take with an edited prompt); false for work
    /// whose text is not a prompt (speech says the dialogue, a cut has none).
    public mutating func replacePrompt(_ text: String) -> Bool {
        switch work {
        case .frame(var frame):
            frame.prompt = text
            work = .frame(frame)
            return true
        case .clip(var clip):
            clip.prompt = text
            work = .clip(clip)
            return true
        case .speech, .cut:
            return false
        }
    }

    /// Every file the job reads, in order.
    public var inputs: [Input] {
        switch work {
        case .frame(let frame): return frame.images
        case .speech: return []
        case .clip(let clip): return [clip.first] + [clip.last, clip.voiceOver].compactMap { $0 } + clip.productVideos
        case .cut(let cut): return cut.clips
        }
    }
}

/// A first frame, a last frame or a camera angle: an image-edit model's job.
public struct FrameWork: Sendable {
    /// `.firstFrame`, `.lastFrame` or `.cameraAngle`.
    public var kind: JobKind
    public var prompt: String
    public var aspectRatio: AspectRatio
    /// The images, in the order the prompt names them (`@Image1`, ...): for a first frame the
    /// avatar, background, product images, logos and size references; for a last frame its
    /// scene's first frame, then the product images; for a camera angle the frame re-shot.
    public var images: [Job.Input]
    /// A camera angle's camera description.
    public var camera: String?
    /// The short text the local engine draws on the frame (the frame's or scene's prompt).
    public var caption: String
    /// The local engine's short side in pixels.
    public var resolution: Int

    public init(kind: JobKind, prompt: String, aspectRatio: AspectRatio, images: [Job.Input], camera: String? = nil, caption: String = "", resolution: Int = 720) {
        self.kind = kind; self.prompt = prompt; self.aspectRatio = aspectRatio; self.images = images
        self.camera = camera; self.caption = caption; self.resolution = resolution
    }

    public func images(_ role: EdgeType) -> [Job.Input] { images.filter { $0.role == role } }
}

/// A voice-over of a scene's dialogue.
public struct SpeechWork: Sendable {
    public var text: String
    /// The scene's or its avatar's voice id; `nil` for the model's default.
    public var voice: String?
    /// The scene's length: the local engine fits the speech into it.
    public var seconds: Double

    public init(text: String, voice: String?, seconds: Double) {
        self.text = text; self.voice = voice; self.seconds = seconds
    }
}

/// A scene's clip from its first (and last) frame, with its voice-over as sound.
public struct ClipWork: Sendable {
    public var prompt: String
    public var aspectRatio: AspectRatio
    public var seconds: Double
    public var first: Job.Input
    public var last: Job.Input?
    /// The scene's voice-over: the clip's sound (a provider's own sound is not wanted then).
    public var voiceOver: Job.Input?
    public var productVideos: [Job.Input]
    /// The conformed clip's short side in pixels.
    public var resolution: Int

    public init(prompt: String, aspectRatio: AspectRatio, seconds: Double, first: Job.Input, last: Job.Input? = nil, voiceOver: Job.Input? = nil,
                productVideos: [Job.Input] = [], resolution: Int = 720) {
        self.prompt = prompt; self.aspectRatio = aspectRatio; self.seconds = seconds; self.first = first; self.last = last
        self.voiceOver = voiceOver; self.productVideos = productVideos; self.resolution = resolution
    }
}

/// The final cut: every scene's clip in playback order.
public struct CutWork: Sendable {
    public var clips: [Job.Input]
    public var aspectRatio: AspectRatio
    public var resolution: Int
    /// The cut's length (the scenes' durations added up).
    public var seconds: Double = 0
    /// Captions to burn into the picture (empty: none burned).
    public var burnedCaptions: [Captions.Cue] = []
    public var music: MusicBed?
    /// MP4 metadata: `title`, `comment`...
    public var metadata: [String: String] = [:]
    /// The run that makes the cut, named in the file's comment. Not part of the cache key: a
    /// reused cut names the run that made it, as its cache entry does.
    public var runID: String?

    public init(clips: [Job.Input], aspectRatio: AspectRatio, resolution: Int = 720) {
        self.clips = clips; self.aspectRatio = aspectRatio; self.resolution = resolution
    }
}

/// What a generator made.
public struct GeneratedOutput: Sendable {
    /// A file inside the job's scratch folder; the scheduler moves it into the cache.
    public var file: URL
    public var provider: Provider
    public var requestID: String? = nil
    /// What the provider reports it charged, where it does.
    public var cost: Money? = nil
    /// The file's SHA-256, if the generator already knows it (else the scheduler computes it).
    public var sha256: String? = nil
    /// For speech, when each word is said, where the provider reports it (kept with the output
    /// in the cache, and used to time the captions).
    public var words: [TimedWord]? = nil

    public init(file: URL, provider: Provider, requestID: String? = nil, cost: Money? = nil, sha256: String? = nil) {
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
    /// The input node at fault (`background:kitchen`), when an input is what failed.
    /// The request never reached the provider (no connection was made): nothing was sent.
    public var neverSent = false
    public var input: String?

    public init(_ kind: Kind, provider: Provider, httpStatus: Int? = nil, message: String, retryAfter: Double? = nil, input: String? = nil) {
        self.kind = kind
        self.provider = provider
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfter = retryAfter
        self.input = input
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
/// A remote job submitted and not yet stored: what a resumed run needs to find it again
/// instead of paying for a new one.
public struct JournalEntry: Codable, Sendable, Equatable {
    public var provider: Provider
    public var model: String
    /// fal: the queue's request id and the URLs it answered with (used as given, never rebuilt).
    public var requestID: String?
    public var statusURL: String?
    public var responseURL: String?
    public var cancelURL: String?
    /// Veo: the long-running operation's name.
    public var operation: String?
    public var submittedAt: Date?

    public init(provider: Provider, model: String, requestID: String? = nil, statusURL: String? = nil, responseURL: String? = nil,
                cancelURL: String? = nil, operation: String? = nil, submittedAt: Date? = Date()) {
        self.provider = provider
        self.model = model
        self.requestID = requestID
        self.statusURL = statusURL
        self.responseURL = responseURL
        self.cancelURL = cancelURL
        self.operation = operation
        self.submittedAt = submittedAt
    }

    enum CodingKeys: String, CodingKey {
        case provider, model, operation
        case requestID = "request_id"
        case statusURL = "status_url"
        case responseURL = "response_url"
        case cancelURL = "cancel_url"
        case submittedAt = "submitted_at"
    }
}

/// A job's durable note of its remote request (`journal/<cache key>.json`), written before the
/// first poll and removed once the output is in the cache.
/// Where a team keeps its provider request journal (team mode: PostgreSQL), so that a job is
/// submitted once across every host: the intent is recorded before the request is sent, the
/// request id right after, and another host that needs the same job follows that request
/// instead of sending its own.
public protocol JournalBackend: Sendable {
    func read(_ key: String) throws -> JournalEntry?
    func write(_ key: String, _ entry: JournalEntry) throws
    func clear(_ key: String)
    /// Records the intent to submit `key`. Returns nil when this caller may submit; else the
    /// entry another holder recorded (its request id once it has one), to follow instead.
    func intend(_ key: String, provider: Provider, model: String) throws -> JournalIntent
}

/// What recording an intent to submit found.
public enum JournalIntent: Sendable, Equatable {
    /// This caller holds the intent: submit, then `write` the request id.
    case submit
    /// Another holder submitted it: follow its request.
    case follow(JournalEntry)
    /// Another holder's intent is recent but has no request id yet: ask again shortly.
    case wait
    /// An intent without a request id, older than the lease: the request may have been sent and
    /// paid for, and nobody knows its id. Never submitted again blind (`description` says what to check).
    case unknown(String)
}

public struct JobJournal: Sendable {
    public let file: URL?
    /// Team mode: the shared journal, and this job's key in it (then `file` is not used).
    public let backend: (any JournalBackend)?
    public let key: String

    public init(file: URL?) {
        self.file = file
        backend = nil
        key = ""
    }

    public init(backend: any JournalBackend, key: String) {
        file = nil
        self.backend = backend
        self.key = key
    }

    /// Records the intent to submit (team mode); alone, a workspace's journal always says submit.
    public func intend(provider: Provider, model: String) throws -> JournalIntent {
        guard let backend else { return .submit }
        return try backend.intend(key, provider: provider, model: model)
    }

    public static let none = JobJournal(file: nil)

    /// A journal that exists but cannot be read: the job may be paid for already, so it is
    /// never submitted again blind. The message says what to check.
    public struct Damaged: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var reason: String
        public var description: String {
            "the request journal \(file) cannot be read (\(reason)): this job may already be submitted and paid for; look it up at the provider, then remove the file to submit it again"
        }
    }

    /// The entry, nil when there is none; throws `Damaged` when the file is there but unreadable.
    public func read() throws(Damaged) -> JournalEntry? {
        if let backend {
            do { return try backend.read(key) } catch { throw Damaged(file: "the team's journal", reason: "\(error)") }
        }
        guard let file else { return nil }
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: file.path) else { throw Damaged(file: file.path, reason: "it cannot be opened") }
        do { return try JSONCoding.decoder.decode(JournalEntry.self, from: data) } catch {
            throw Damaged(file: file.path, reason: data.isEmpty ? "it is empty" : "it is not a journal entry")
        }
    }

    public func write(_ entry: JournalEntry) throws {
        if let backend { return try backend.write(key, entry) }
        guard let file else { return }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(try JSONCoding.compact.encode(entry), to: file)
    }

    /// Forgets the entry (the output is stored, or the job is known not to be running).
    public func clear() {
        if let backend { return backend.clear(key) }
        guard let file else { return }
        try? FileManager.default.removeItem(at: file)
    }
}
