import Foundation
import SceneFlowBasics

/// Who runs a model, and so which key, base URL and concurrency limit apply.
public enum Provider: String, Sendable, CaseIterable, Codable, Comparable {
    case fal
    case gemini
    /// Veo through the Gemini API: same key and host as `gemini`, its own quota.
    case veo
    case elevenlabs
    /// The local engine: ffmpeg and espeak-ng on this machine.
    case local

    /// The environment variable holding the key; `nil` for the local engine.
    public var keyVariable: String? {
        switch self {
        case .fal: return "FAL_KEY"
        case .gemini, .veo: return "GEMINI_API_KEY"
        case .elevenlabs: return "ELEVENLABS_API_KEY"
        case .local: return nil
        }
    }

    /// Jobs in flight at once, per run (and shared across a batch). fal queues what is over a
    /// user's limit server-side; ElevenLabs rejects it with 429, so its default is the Creator tier's.
    public var defaultConcurrency: Int {
        switch self {
        case .fal: return 10
        case .gemini: return 4
        case .veo: return 2
        case .elevenlabs: return 5
        case .local: return 2
        }
    }

    /// Key variables that `models` need and `environment` lacks, sorted.
    public static func missingKeys(for models: [ModelInfo], environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        Set(models.compactMap { $0.provider.keyVariable }).filter { (environment[$0] ?? "").isEmpty }.sorted()
    }

    public static func < (a: Provider, b: Provider) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How a model is priced. Figures are list-price estimates for planning, not invoices.
public enum Price: Sendable, Hashable, Codable {
    case perImage(Double)
    case perVideoSecond(Double)
    case perThousandCharacters(Double)
    case free

    public var summary: String {
        switch self {
        case .perImage(let p): return String(format: "$%.3f/image", p)
        case .perVideoSecond(let p): return String(format: "$%.3f/s of video", p)
        case .perThousandCharacters(let p): return String(format: "$%.2f/1k chars", p)
        case .free: return "free"
        }
    }
}

/// Everything SceneFlow knows about one model: the single source of model facts for validation,
/// planning, scheduling and the providers. Immutable and shared (a class: every job carries its
/// model, and copying one is a single reference). Two models are the same model by id.
public final class ModelInfo: Sendable, Hashable {
    public let id: String
    public let provider: Provider
    public let kinds: Set<JobKind>
    /// Clip lengths the model makes, in seconds; `nil` for non-video models. Empty = any length.
    public let durations: [Double]?
    /// Aspect ratios it can produce; `nil` = any of the template's.
    public let aspectRatios: Set<AspectRatio>?
    /// Most input images one request takes (image-edit models).
    public let maxInputImages: Int?
    /// Video models: whether the clip can be steered to end on a given last frame.
    public let acceptsLastFrame: Bool
    /// Video models that only interpolate between two frames.
    public let requiresLastFrame: Bool
    /// Estimated seconds per job: `fixed + perOutputSecond × clip seconds` (or × characters ÷ 100 for speech).
    public let latencyFixed: Double
    public let latencyPerUnit: Double
    public let price: Price
    public let note: String?
    /// Speech models: the voice used when neither the scene nor its avatar names one.
    public let defaultVoice: String?

    public init(id: String, provider: Provider, kinds: Set<JobKind>, durations: [Double]? = nil, aspectRatios: Set<AspectRatio>? = nil,
                maxInputImages: Int? = nil, acceptsLastFrame: Bool = false, requiresLastFrame: Bool = false, latencyFixed: Double,
                latencyPerUnit: Double = 0, price: Price, note: String? = nil, defaultVoice: String? = nil) {
        self.id = id
        self.provider = provider
        self.kinds = kinds
        self.durations = durations
        self.aspectRatios = aspectRatios
        self.maxInputImages = maxInputImages
        self.acceptsLastFrame = acceptsLastFrame
        self.requiresLastFrame = requiresLastFrame
        self.latencyFixed = latencyFixed
        self.latencyPerUnit = latencyPerUnit
        self.price = price
        self.note = note
        self.defaultVoice = defaultVoice
    }

    public static func == (a: ModelInfo, b: ModelInfo) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// Estimated wall time of one job.
    public func estimatedSeconds(clipSeconds: Double = 0, characters: Int = 0) -> Double {
        switch kinds.contains(.audio) ? JobKind.audio : kinds.contains(.video) ? .video : .firstFrame {
        case .audio: return latencyFixed + latencyPerUnit * Double(characters) / 100
        case .video: return latencyFixed + latencyPerUnit * clipSeconds
        default: return latencyFixed
        }
    }

    /// Estimated cost of one job at list price.
    public func estimatedCost(clipSeconds: Double = 0, characters: Int = 0) -> Money {
        switch price {
        case .perImage(let p): return Money(dollars: p)
        case .perVideoSecond(let p): return Money(dollars: p * clipSeconds)
        case .perThousandCharacters(let p): return Money(dollars: p * Double(characters) / 1000)
        case .free: return .zero
        }
    }

    public func supportsDuration(_ seconds: Double) -> Bool {
        guard let durations, !durations.isEmpty else { return true }
        return durations.contains { abs($0 - seconds) < 1e-9 }
    }
}

/// The model registry (`sceneflow models`).
public struct ModelRegistry: Sendable {
    public private(set) var models: [ModelInfo]
    private var byID: [String: ModelInfo]

    public init(_ models: [ModelInfo]) {
        self.models = models
        self.byID = Dictionary(models.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public subscript(id: String) -> ModelInfo? { byID[id] }

    /// The model a job kind uses when the template names none (template-v1 "Top level").
    public static let defaultModelIDs: [JobKind: String] = [
        .firstFrame: "fal-ai/kling-image/o1",
        .lastFrame: "fal-ai/kling-image/o1",
        .cameraAngle: "fal-ai/kling-image/o1",
        .video: "fal-ai/kling-video/v2.6/pro/image-to-video",
        .audio: "elevenlabs/eleven_multilingual_v2",
        .combine: "local/ffmpeg-concat",
    ]

    /// What `--offline` runs each job kind on.
    public static let offlineModelIDs: [JobKind: String] = [
        .firstFrame: "local/compositor",
        .lastFrame: "local/compositor",
        .cameraAngle: "local/reframe",
        .video: "local/ffmpeg-clip",
        .audio: "local/espeak-ng",
        .combine: "local/ffmpeg-concat",
    ]

    public func defaultModel(for kind: JobKind) -> ModelInfo {
        self[Self.defaultModelIDs[kind]!]!
    }

    public func offlineModel(for kind: JobKind) -> ModelInfo {
        self[Self.offlineModelIDs[kind]!]!
    }

    public var ids: [String] { models.map(\.id) }

    public static let standard = ModelRegistry(standardModels)

    static let frameKinds: Set<JobKind> = [.firstFrame, .lastFrame, .cameraAngle]
    /// ElevenLabs' premade "Rachel" voice: speaks when neither the scene nor its avatar names one.
    static let elevenLabsDefaultVoice = "21m00Tcm4TlvDq8ikWAM"
    static let anyRatio: Set<AspectRatio>? = nil
    static let veoRatios: Set<AspectRatio> = [.portrait, .landscape]

    static let standardModels: [ModelInfo] = [
        // fal image edit
        ModelInfo(id: "fal-ai/kling-image/o1", provider: .fal, kinds: frameKinds, maxInputImages: 10,
                  latencyFixed: 25, price: .perImage(0.028)),
        ModelInfo(id: "fal-ai/nano-banana/edit", provider: .fal, kinds: frameKinds, maxInputImages: 10,
                  latencyFixed: 12, price: .perImage(0.039)),
        ModelInfo(id: "fal-ai/gemini-25-flash-image/edit", provider: .fal, kinds: frameKinds, maxInputImages: 10,
                  latencyFixed: 12, price: .perImage(0.039), note: "same inputs as fal-ai/nano-banana/edit"),
        ModelInfo(id: "fal-ai/nano-banana-pro/edit", provider: .fal, kinds: frameKinds, maxInputImages: 10,
                  latencyFixed: 30, price: .perImage(0.15)),
        ModelInfo(id: "fal-ai/nano-banana-2/edit", provider: .fal, kinds: frameKinds, maxInputImages: 10,
                  latencyFixed: 20, price: .perImage(0.08)),
        // fal video
        ModelInfo(id: "fal-ai/kling-video/v2.6/pro/image-to-video", provider: .fal, kinds: [.video], durations: [5, 10],
                  acceptsLastFrame: true, latencyFixed: 60, latencyPerUnit: 12, price: .perVideoSecond(0.07)),
        ModelInfo(id: "fal-ai/veo3.1/image-to-video", provider: .fal, kinds: [.video], durations: [4, 6, 8],
                  aspectRatios: veoRatios, latencyFixed: 40, latencyPerUnit: 10, price: .perVideoSecond(0.40)),
        ModelInfo(id: "fal-ai/veo3.1/first-last-frame-to-video", provider: .fal, kinds: [.video], durations: [4, 6, 8],
                  aspectRatios: veoRatios, acceptsLastFrame: true, requiresLastFrame: true,
                  latencyFixed: 40, latencyPerUnit: 10, price: .perVideoSecond(0.40)),
        ModelInfo(id: "fal-ai/veo3.1/fast/first-last-frame-to-video", provider: .fal, kinds: [.video], durations: [4, 6, 8],
                  aspectRatios: veoRatios, acceptsLastFrame: true, requiresLastFrame: true,
                  latencyFixed: 20, latencyPerUnit: 5, price: .perVideoSecond(0.15)),
        ModelInfo(id: "fal-ai/veo3/image-to-video", provider: .fal, kinds: [.video], durations: [8],
                  aspectRatios: veoRatios, latencyFixed: 50, latencyPerUnit: 10, price: .perVideoSecond(0.40),
                  note: "absent from fal's Aug 2026 endpoint map; prefer fal-ai/veo3.1/image-to-video"),
        // Google: Gemini image and Veo through the Gemini API
        ModelInfo(id: "gemini-2.5-flash-image", provider: .gemini, kinds: frameKinds, maxInputImages: 3,
                  latencyFixed: 10, price: .perImage(0.039)),
        ModelInfo(id: "veo-3.1-generate-preview", provider: .veo, kinds: [.video], durations: [4, 6, 8],
                  aspectRatios: veoRatios, acceptsLastFrame: true, latencyFixed: 40, latencyPerUnit: 10, price: .perVideoSecond(0.40)),
        ModelInfo(id: "veo-3.1-fast-generate-preview", provider: .veo, kinds: [.video], durations: [4, 6, 8],
                  aspectRatios: veoRatios, acceptsLastFrame: true, latencyFixed: 20, latencyPerUnit: 5, price: .perVideoSecond(0.15)),
        ModelInfo(id: "veo-3.0-generate-001", provider: .veo, kinds: [.video], durations: [4, 6, 8],
                  aspectRatios: veoRatios, latencyFixed: 45, latencyPerUnit: 10, price: .perVideoSecond(0.40)),
        ModelInfo(id: "veo-3.0-fast-generate-001", provider: .veo, kinds: [.video], durations: [4, 6, 8],
                  aspectRatios: veoRatios, latencyFixed: 25, latencyPerUnit: 5, price: .perVideoSecond(0.15)),
        // ElevenLabs text-to-speech
        ModelInfo(id: "elevenlabs/eleven_multilingual_v2", provider: .elevenlabs, kinds: [.audio],
                  latencyFixed: 1.5, latencyPerUnit: 0.4, price: .perThousandCharacters(0.30), defaultVoice: elevenLabsDefaultVoice),
        ModelInfo(id: "elevenlabs/eleven_turbo_v2_5", provider: .elevenlabs, kinds: [.audio],
                  latencyFixed: 0.8, latencyPerUnit: 0.2, price: .perThousandCharacters(0.15), defaultVoice: elevenLabsDefaultVoice),
        ModelInfo(id: "elevenlabs/eleven_flash_v2_5", provider: .elevenlabs, kinds: [.audio],
                  latencyFixed: 0.5, latencyPerUnit: 0.1, price: .perThousandCharacters(0.15), defaultVoice: elevenLabsDefaultVoice),
        ModelInfo(id: "elevenlabs/eleven_v3", provider: .elevenlabs, kinds: [.audio],
                  latencyFixed: 2, latencyPerUnit: 0.5, price: .perThousandCharacters(0.30), defaultVoice: elevenLabsDefaultVoice),
        // The local engine (no keys, no network)
        ModelInfo(id: "local/compositor", provider: .local, kinds: [.firstFrame, .lastFrame],
                  latencyFixed: 0.3, price: .free, note: "ffmpeg overlay of background, avatar and product images"),
        ModelInfo(id: "local/reframe", provider: .local, kinds: [.cameraAngle],
                  latencyFixed: 0.3, price: .free, note: "ffmpeg crop/zoom following the camera text"),
        ModelInfo(id: "local/espeak-ng", provider: .local, kinds: [.audio],
                  latencyFixed: 0.2, latencyPerUnit: 0.02, price: .free),
        ModelInfo(id: "local/ffmpeg-clip", provider: .local, kinds: [.video], durations: [],
                  acceptsLastFrame: true, latencyFixed: 0.3, latencyPerUnit: 0.15, price: .free),
        ModelInfo(id: "local/ffmpeg-concat", provider: .local, kinds: [.combine],
                  latencyFixed: 0.5, price: .free),
    ]
}
