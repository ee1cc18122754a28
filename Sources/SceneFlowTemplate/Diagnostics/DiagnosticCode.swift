/// The stable, kebab-case identifier of every problem SceneFlow reports.
///
/// Scripts match on these, so a code is never renamed or reused; `docs/diagnostics.md` lists them.
public enum DiagnosticCode: String, Sendable, Codable, CaseIterable {
    // Reading the file.
    case syntaxError = "syntax-error"
    case emptyFile = "empty-file"
    case invalidEncoding = "invalid-encoding"
    case nestingTooDeep = "nesting-too-deep"
    case duplicateKey = "duplicate-key"

    // Shape of the template (schema).
    case unsupportedSchemaVersion = "unsupported-schema-version"
    case unknownField = "unknown-field"
    case missingField = "missing-field"
    case invalidType = "invalid-type"
    case invalidValue = "invalid-value"
    case invalidID = "invalid-id"

    // Meaning of the template (semantics).
    case duplicateID = "duplicate-id"
    case unknownAvatar = "unknown-avatar"
    case unknownBackground = "unknown-background"
    case unknownAssetKey = "unknown-asset-key"
    case unknownScene = "unknown-scene"
    case invalidSlotBounds = "invalid-slot-bounds"
    case missingLastFrame = "missing-last-frame"
    case missingCamera = "missing-camera"
    case missingDialogue = "missing-dialogue"
    case unspokenDialogue = "unspoken-dialogue"
    case dialogueTooLong = "dialogue-too-long"
    case unknownModel = "unknown-model"
    case modelKindMismatch = "model-kind-mismatch"
    case unsupportedDuration = "unsupported-duration"
    case unsupportedAspectRatio = "unsupported-aspect-ratio"
    case tooManyInputImages = "too-many-input-images"
    case lastFrameIgnored = "last-frame-ignored"
    case lastFrameRequired = "last-frame-required"
    case unusedSlot = "unused-slot"
    case slotNotUsed = "slot-not-used"
    case cycle = "cycle"
    case missingFile = "missing-file"
    case pathEscapesTemplate = "path-escapes-template"
    case notAnImage = "not-an-image"
    case invalidImageReference = "invalid-image-reference"
    /// An image or video that is truncated, corrupted, or larger than SceneFlow takes.
    case invalidMedia = "invalid-media"

    // Hydration inputs.
    case unknownSlot = "unknown-slot"
    case requiredSlotEmpty = "required-slot-empty"
    case slotCount = "slot-count"
    case assetNotFound = "asset-not-found"
    case assetTypeMismatch = "asset-type-mismatch"
}
