import Foundation

/// The JSON Schema (draft 2020-12) of template-v1, for editors and other tools (`sceneflow
/// schema`). It is built from the same facts the decoder and the registry use: the enumerations
/// (aspect ratios, slot types, frame sources), the fields each frame source takes
/// (`TemplateDecoder.frameFields`), the id rule and the model ids per job kind, so it cannot
/// drift from them. A template that passes `sceneflow validate` passes the schema; the schema
/// cannot express the cross-references (a scene naming an undeclared avatar, cycles, model
/// limits), which only `validate` checks.
public enum TemplateSchema {
    public static let id = "https://sceneflow.dev/schemas/template-v1.json"

    /// The schema as pretty-printed JSON with sorted keys (byte-identical for one registry).
    public static func json(registry: ModelRegistry = .standard) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object(registry: registry), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    public static func object(registry: ModelRegistry = .standard) -> [String: Any] {
        let slug: [String: Any] = ["type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$", "maxLength": Slug.maxLength]
        func models(_ kind: JobKind) -> [String: Any] {
            ["type": "string", "enum": registry.models.filter { $0.kinds.contains(kind) }.map(\.id),
             "description": "a model id from the registry (`sceneflow models`) that makes \(kind.rawValue) jobs"]
        }
        let image: [String: Any] = ["type": "string", "minLength": 1,
                                    "description": "a path relative to the template file (inside its folder), or an https:// URL"]
        var frameProperties: [String: Any] = ["source": ["enum": FrameSource.allCases.map(\.rawValue)]]
        frameProperties["scene"] = ["type": "string", "description": "the scene whose frame this one comes from"]
        frameProperties["camera"] = ["type": "string", "description": "the camera that re-shoots the frame (close-up, from the left...)"]
        frameProperties["frame"] = ["enum": FrameSelector.allCases.map(\.rawValue), "default": "first"]
        frameProperties["model"] = ["type": "string", "description": "an image-edit model id (`sceneflow models`)"]
        frameProperties["prompt"] = ["type": "string"]
        // Per source: the fields it takes (all others are refused) and the ones it needs.
        let frameRules: [[String: Any]] = FrameSource.allCases.map { source in
            let fields = TemplateDecoder.frameFields[source] ?? []
            var forbidden: [String: Any] = [:]
            for field in frameProperties.keys where field != "source" && !fields.contains(field) { forbidden[field] = false }
            var then: [String: Any] = ["properties": forbidden]
            // The decoder reads a camera angle without `camera` and the validator refuses it
            // (missing-camera); the schema says the same in its own terms.
            then["required"] = ["scene", "camera"].filter(fields.contains)
            return ["if": ["properties": ["source": ["const": source.rawValue]]], "then": then]
        }
        let frame: [String: Any] = [
            "type": "object", "required": ["source"], "additionalProperties": false,
            "properties": frameProperties, "allOf": frameRules,
        ]
        let scene: [String: Any] = [
            "type": "object", "required": ["id"], "additionalProperties": false,
            "properties": [
                "id": slug,
                "avatar": ["type": "string", "description": "an avatar id"],
                "background": ["type": "string", "description": "a background id"],
                "dependencies": ["type": "array", "items": ["type": "string"], "description": "asset keys of the slots this scene shows"],
                "prompt": ["type": "string"],
                "speaking": ["type": "boolean", "description": "default: true when dialogue is non-empty"],
                "dialogue": ["type": "string"],
                "duration_s": ["type": "number", "exclusiveMinimum": 0, "maximum": TemplateDecoder.maxSceneSeconds, "default": 5],
                "first_frame": ["$ref": "#/$defs/frame"],
                "last_frame": ["$ref": "#/$defs/frame"],
                "audio": ["type": "object", "additionalProperties": false,
                          "properties": ["model": models(.audio), "voice": ["type": "string"]]],
                "video": ["type": "object", "additionalProperties": false, "properties": ["model": models(.video)]],
            ] as [String: Any],
        ]
        var modelDefaults: [String: Any] = [:]
        for kind in JobKind.templateModelKeys { modelDefaults[kind.rawValue] = models(kind) }
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": id,
            "title": "SceneFlow template, schema_version 1",
            "type": "object",
            "required": ["schema_version", "id", "scenes"],
            "additionalProperties": false,
            "properties": [
                "$schema": ["type": "string"],
                "schema_version": ["const": 1],
                "id": slug,
                "name": ["type": "string"],
                "aspect_ratio": ["enum": AspectRatio.allCases.map(\.rawValue), "default": AspectRatio.portrait.rawValue],
                "models": ["type": "object", "additionalProperties": false, "properties": modelDefaults],
                "avatars": ["type": "array", "items": [
                    "type": "object", "required": ["id", "image"], "additionalProperties": false,
                    "properties": ["id": slug, "image": image, "voice": ["type": "string", "description": "a TTS voice id"]],
                ] as [String: Any]],
                "backgrounds": ["type": "array", "items": [
                    "type": "object", "required": ["id", "image"], "additionalProperties": false,
                    "properties": ["id": slug, "image": image],
                ] as [String: Any]],
                "dependencies": ["type": "array", "items": [
                    "type": "object", "required": ["type", "asset_key", "min", "max"], "additionalProperties": false,
                    "properties": ["type": ["enum": SlotType.allCases.map(\.rawValue)], "asset_key": slug,
                                   "min": ["type": "integer", "minimum": 0], "max": ["type": "integer", "minimum": 1]],
                ] as [String: Any]],
                "scenes": ["type": "array", "minItems": 1, "items": ["$ref": "#/$defs/scene"]],
            ] as [String: Any],
            "$defs": ["scene": scene, "frame": frame],
        ]
    }
}
