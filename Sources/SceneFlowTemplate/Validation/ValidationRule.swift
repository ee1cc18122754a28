import Foundation

/// One check over a decoded template. Each rule lives in its own file under `Rules/`, with its
/// messages beside it (swift-format's layout), and reports root causes only: a rule skips values
/// another rule already reported as broken (an unknown id is not also "unused" or "on a cycle").
public protocol ValidationRule: Sendable {
    /// The codes this rule can report (documented in `docs/diagnostics.md`).
    static var codes: [DiagnosticCode] { get }
    func check(_ context: ValidationContext, into findings: inout Findings)
}

/// What every rule may look at: the template, the registry, the file system around the template,
/// the scene graph and lookups built once so rules stay linear in the template's size. A class,
/// so that handing it to each rule copies nothing.
public final class ValidationContext: Sendable {
    public let template: Template
    /// The template's graph, built once for validation and then for plan, diagrams and runs.
    public let graph: SceneGraph
    public let registry: ModelRegistry
    /// The folder holding the template; relative image paths resolve against it.
    public let templateDirectory: URL?

    public let sceneIndexByID: [String: Int]
    public let avatarIDs: Set<String>
    public let backgroundIDs: Set<String>
    public let slotByKey: [String: Slot]

    public init(template: Template, registry: ModelRegistry = .standard, templateDirectory: URL? = nil) {
        self.template = template
        self.registry = registry
        self.templateDirectory = templateDirectory
        self.graph = SceneGraph(template: template, registry: registry)
        var scenes: [String: Int] = [:]
        for (i, scene) in template.scenes.enumerated() {
            if let id = scene.id?.value, scenes[id] == nil { scenes[id] = i }
        }
        sceneIndexByID = scenes
        avatarIDs = Set(template.avatars.compactMap { $0.id?.value })
        backgroundIDs = Set(template.backgrounds.compactMap { $0.id?.value })
        var slots: [String: Slot] = [:]
        for slot in template.slots {
            if let key = slot.assetKey?.value, slots[key] == nil { slots[key] = slot }
        }
        slotByKey = slots
    }

    /// The scene a frame spec points at, if it exists.
    public func scene(referencedBy spec: FrameSpec) -> Scene? {
        guard let id = spec.scene?.value, let index = sceneIndexByID[id] else { return nil }
        return template.scenes[index]
    }

    /// `true` when references into `namespace` cannot be judged because some id there was unreadable.
    public func cannotJudge(_ namespace: Template.IDNamespace) -> Bool {
        template.unreadableIDs.contains(namespace)
    }

    /// The frame specs of a scene: `first_frame` (default generate) and `last_frame`. Their
    /// JSON paths are spelled out only when a rule reports one.
    public func frameSpecs(of scene: Scene) -> [SceneFrame] {
        var frames = [SceneFrame(spec: scene.firstFrameSpec, isLast: false, sceneIndex: scene.index)]
        if let last = scene.lastFrame { frames.append(SceneFrame(spec: last, isLast: true, sceneIndex: scene.index)) }
        return frames
    }

    /// The model each of a scene's generation jobs uses, with the job kind.
    public func modelChoices(of scene: Scene) -> [(kind: JobKind, choice: ModelChoice)] {
        var result: [(JobKind, ModelChoice)] = []
        for frame in frameSpecs(of: scene) {
            let spec = frame.spec, isLast = frame.isLast
            switch spec.source {
            case .generate:
                let kind: JobKind = isLast ? .lastFrame : .firstFrame
                result.append((kind, template.modelChoice(kind, scene: scene, frame: (spec, isLast))))
            case .cameraAngle:
                result.append((.cameraAngle, template.modelChoice(.cameraAngle, scene: scene, frame: (spec, isLast))))
            case .firstFrameOf, .lastFrameOf:
                break
            }
        }
        if scene.isSpeaking { result.append((.audio, template.modelChoice(.audio, scene: scene))) }
        result.append((.video, template.modelChoice(.video, scene: scene)))
        return result
    }
}

/// A scene's first or last frame spec, as rules see it.
public struct SceneFrame: Sendable {
    public var spec: FrameSpec
    public var isLast: Bool
    public var sceneIndex: Int
    /// `scenes[3].last_frame`.
    public var path: String { "scenes[\(sceneIndex)].\(isLast ? "last_frame" : "first_frame")" }
}

/// Runs every rule over a template.
public struct Validator: Sendable {
    public var rules: [any ValidationRule]

    public init(rules: [any ValidationRule] = Validator.standardRules) {
        self.rules = rules
    }

    public static let standardRules: [any ValidationRule] = [
        DuplicateIDRule(),
        UnknownAvatarRule(),
        UnknownBackgroundRule(),
        UnknownAssetKeyRule(),
        UnknownSceneRule(),
        SlotBoundsRule(),
        MissingLastFrameRule(),
        MissingCameraRule(),
        MissingDialogueRule(),
        UnspokenDialogueRule(),
        DialogueLengthRule(),
        ModelRule(),
        VideoDurationRule(),
        AspectRatioRule(),
        InputImageLimitRule(),
        LastFrameSupportRule(),
        UnusedSlotRule(),
        SlotNotUsedRule(),
        FrameCycleRule(),
        ImageReferenceRule(),
    ]

    public func validate(_ context: ValidationContext) -> Findings {
        var findings = Findings()
        for rule in rules { rule.check(context, into: &findings) }
        return findings
    }
}
