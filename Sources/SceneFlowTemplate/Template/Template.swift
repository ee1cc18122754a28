/// A value as the user wrote it, with where they wrote it.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var anchor: SourceAnchor

    public init(_ value: Value, anchor: SourceAnchor = .none) {
        self.value = value
        self.anchor = anchor
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// Frame shape of every image and clip.
public enum AspectRatio: String, Sendable, CaseIterable, Codable {
    case portrait = "9:16"
    case landscape = "16:9"
    case square = "1:1"
    case fourByFive = "4:5"

    /// Width and height in pixels with the short side `shortSide` (rounded to even for H.264).
    public func pixelSize(shortSide: Int) -> (width: Int, height: Int) {
        func even(_ v: Double) -> Int { Int((v / 2).rounded()) * 2 }
        let s = Double(shortSide)
        switch self {
        case .portrait: return (even(s), even(s * 16 / 9))
        case .landscape: return (even(s * 16 / 9), even(s))
        case .square: return (even(s), even(s))
        case .fourByFive: return (even(s), even(s * 5 / 4))
        }
    }
}

/// What a generation job makes. The first five are the keys of a template's `models`.
public enum JobKind: String, Sendable, CaseIterable, Codable, Comparable {
    case firstFrame = "first_frame"
    case lastFrame = "last_frame"
    case cameraAngle = "camera_angle"
    case audio
    case video
    /// Cutting all clips into the final video (local engine only).
    case combine

    public static let templateModelKeys: [JobKind] = [.firstFrame, .lastFrame, .cameraAngle, .audio, .video]

    /// For messages: "cannot make a first frame", "cannot make audio".
    public var noun: String {
        switch self {
        case .firstFrame: return "a first frame"
        case .lastFrame: return "a last frame"
        case .cameraAngle: return "a camera angle"
        case .audio: return "audio"
        case .video: return "video"
        case .combine: return "the final cut"
        }
    }

    public static func < (a: JobKind, b: JobKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The type of a hydration-time asset slot.
public enum SlotType: String, Sendable, CaseIterable, Codable {
    case productImage = "product_image"
    case productVideo = "product_video"
    case logo
    case referenceImage = "reference_image"

    /// Image-typed slots feed frame generation; a product video does not.
    public var isImage: Bool { self != .productVideo }
}

public struct Avatar: Sendable {
    public var index: Int
    public var id: Located<String>?
    public var image: Located<String>?
    public var voice: Located<String>?
}

public struct Background: Sendable {
    public var index: Int
    public var id: Located<String>?
    public var image: Located<String>?
}

/// A slot (an entry of the template's `dependencies`): files of one type, named by its asset key,
/// that each product supplies at hydration time.
public struct Slot: Sendable {
    public var index: Int
    public var type: Located<SlotType>?
    public var assetKey: Located<String>?
    public var min: Located<Int>?
    public var max: Located<Int>?

    public var isRequired: Bool { (min?.value ?? 0) >= 1 }
}

public enum FrameSource: String, Sendable, CaseIterable {
    case generate
    case firstFrameOf = "first_frame_of"
    case lastFrameOf = "last_frame_of"
    case cameraAngle = "camera_angle"
}

public enum FrameSelector: String, Sendable, CaseIterable {
    case first, last
}

/// How a scene's first or last frame is made (template-v1 "Frame specs").
public struct FrameSpec: Sendable {
    public var anchor: SourceAnchor
    public var source: FrameSource
    public var sourceAnchor: SourceAnchor
    public var scene: Located<String>?
    public var camera: Located<String>?
    public var frame: Located<FrameSelector>?
    public var model: Located<String>?
    public var prompt: Located<String>?

    public static let generate = FrameSpec(anchor: .none, source: .generate, sourceAnchor: .none)
}

/// One scene as written. A value with its fields in one shared, copy-on-write box: rules,
/// the graph builder and the planner pass scenes around by the hundred thousand, and copying
/// one is then a single retain instead of one per field.
public struct Scene: Sendable {
    private final class Storage: @unchecked Sendable {
        // Mutated only through `Scene`'s setters, after `isKnownUniquelyReferenced` made it
        // this value's own: never shared while written (the copy-on-write rule).
        var index: Int
        var anchor: SourceAnchor
        var id: Located<String>? = nil
        var avatar: Located<String>? = nil
        var background: Located<String>? = nil
        var dependencies: [Located<String>] = []
        var prompt: Located<String>? = nil
        var speaking: Located<Bool>? = nil
        var dialogue: Located<String>? = nil
        var durationSeconds: Located<Double>? = nil
        var firstFrame: FrameSpec? = nil
        var lastFrame: FrameSpec? = nil
        var audioModel: Located<String>? = nil
        var audioVoice: Located<String>? = nil
        var videoModel: Located<String>? = nil

        init(index: Int, anchor: SourceAnchor) {
            self.index = index
            self.anchor = anchor
        }

        init(copying other: Storage) {
            index = other.index
            anchor = other.anchor
            id = other.id
            avatar = other.avatar
            background = other.background
            dependencies = other.dependencies
            prompt = other.prompt
            speaking = other.speaking
            dialogue = other.dialogue
            durationSeconds = other.durationSeconds
            firstFrame = other.firstFrame
            lastFrame = other.lastFrame
            audioModel = other.audioModel
            audioVoice = other.audioVoice
            videoModel = other.videoModel
        }
    }

    private var storage: Storage

    public init(index: Int, anchor: SourceAnchor) {
        storage = Storage(index: index, anchor: anchor)
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
        return storage
    }

    public var index: Int {
        get { storage.index }
        set { unique().index = newValue }
    }
    public var anchor: SourceAnchor {
        get { storage.anchor }
        set { unique().anchor = newValue }
    }
    public var id: Located<String>? {
        get { storage.id }
        set { unique().id = newValue }
    }
    public var avatar: Located<String>? {
        get { storage.avatar }
        set { unique().avatar = newValue }
    }
    public var background: Located<String>? {
        get { storage.background }
        set { unique().background = newValue }
    }
    public var dependencies: [Located<String>] {
        get { storage.dependencies }
        set { unique().dependencies = newValue }
    }
    public var prompt: Located<String>? {
        get { storage.prompt }
        set { unique().prompt = newValue }
    }
    public var speaking: Located<Bool>? {
        get { storage.speaking }
        set { unique().speaking = newValue }
    }
    public var dialogue: Located<String>? {
        get { storage.dialogue }
        set { unique().dialogue = newValue }
    }
    public var durationSeconds: Located<Double>? {
        get { storage.durationSeconds }
        set { unique().durationSeconds = newValue }
    }
    /// `nil` means the default, `{"source": "generate"}`.
    public var firstFrame: FrameSpec? {
        get { storage.firstFrame }
        set { unique().firstFrame = newValue }
    }
    public var lastFrame: FrameSpec? {
        get { storage.lastFrame }
        set { unique().lastFrame = newValue }
    }
    public var audioModel: Located<String>? {
        get { storage.audioModel }
        set { unique().audioModel = newValue }
    }
    public var audioVoice: Located<String>? {
        get { storage.audioVoice }
        set { unique().audioVoice = newValue }
    }
    public var videoModel: Located<String>? {
        get { storage.videoModel }
        set { unique().videoModel = newValue }
    }

    /// `speaking` defaults to true when `dialogue` is non-empty.
    public var isSpeaking: Bool {
        speaking?.value ?? !(dialogue?.value.isEmpty ?? true)
    }

    public var duration: Double { durationSeconds?.value ?? 5 }
    public var firstFrameSpec: FrameSpec { firstFrame ?? .generate }
    public var path: String { "scenes[\(index)]" }
}

/// A template as written (the raw model): every field optional where the user may have got it
/// wrong, so that one bad field never hides the problems in the others. The resolved, checked
/// form is `SceneGraph`.
public struct Template: Sendable {
    public var schemaVersion: Int = 1
    public var id: Located<String>?
    public var name: String?
    public var aspectRatioValue: Located<AspectRatio>?
    public var models: [JobKind: Located<String>] = [:]
    public var avatars: [Avatar] = []
    public var backgrounds: [Background] = []
    public var slots: [Slot] = []
    public var scenes: [Scene] = []
    /// Id namespaces in which some id could not be read (wrong type). References into them are
    /// not reported as unknown: that would be a knock-on of the type error, not a root cause.
    public var unreadableIDs: Set<IDNamespace> = []

    public enum IDNamespace: String, Sendable {
        case avatar, background, assetKey, scene
        /// Some scene's `dependencies` could not be read, so slot usage cannot be judged.
        case sceneSlots
    }

    public var aspectRatio: AspectRatio { aspectRatioValue?.value ?? .portrait }

    public init() {}
}
