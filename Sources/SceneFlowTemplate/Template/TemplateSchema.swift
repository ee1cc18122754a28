import Foundation
import SceneFlowBasics

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
        // Encoding a schema of strings, numbers and booleans cannot fail.
        String(decoding: try! JSONCoding.pretty.encode(schema(registry: registry)), as: UTF8.self) + "\n"
    }

    public static func schema(registry: ModelRegistry = .standard) -> JSONSchema {
        let slug = JSONSchema.string(pattern: "^[a-z0-9][a-z0-9_-]*$").with { $0.maxLength = Slug.maxLength }
        func models(_ kind: JobKind) -> JSONSchema {
            JSONSchema.string(description: "a model id from the registry (`sceneflow models`) that makes \(kind.rawValue) jobs")
                .with { $0.enumeration = registry.models.filter { $0.kinds.contains(kind) }.map { .string($0.id) } }
        }
        let image = JSONSchema.string(description: "a path relative to the template file (inside its folder), or an https:// URL").with { $0.minLength = 1 }
        var frameProperties: [String: JSONSchema] = [
            "source": .oneOf(FrameSource.allCases.map { .string($0.rawValue) }),
            "scene": .string(description: "the scene whose frame this one comes from"),
            "camera": .string(description: "the camera that re-shoots the frame (close-up, from the left...)"),
            "frame": JSONSchema.oneOf(FrameSelector.allCases.map { .string($0.rawValue) }).with { $0.defaultValue = "first" },
            "model": .string(description: "an image-edit model id (`sceneflow models`)"),
            "prompt": .string(),
        ]
        // Per source: the fields it takes (all others are refused) and the ones it needs.
        let frameRules: [JSONSchema] = FrameSource.allCases.map { source in
            let fields = TemplateDecoder.frameFields[source] ?? []
            var forbidden: [String: JSONSchema] = [:]
            for field in frameProperties.keys where field != "source" && !fields.contains(field) { forbidden[field] = .never }
            var then = JSONSchema()
            then.properties = forbidden
            // The decoder reads a camera angle without `camera` and the validator refuses it
            // (missing-camera); the schema says the same in its own terms.
            then.required = ["scene", "camera"].filter(fields.contains)
            var condition = JSONSchema()
            condition.properties = ["source": .constant(.string(source.rawValue))]
            return JSONSchema().with {
                $0.ifSchema = .init(condition)
                $0.thenSchema = .init(then)
            }
        }
        let frame = JSONSchema.object(frameProperties, required: ["source"], closed: true).with { $0.allOf = frameRules }
        let scene = JSONSchema.object([
            "id": slug,
            "avatar": .string(description: "an avatar id"),
            "background": .string(description: "a background id"),
            "dependencies": .array(of: .string(), description: "asset keys of the slots this scene shows"),
            "prompt": .string(),
            "speaking": .type("boolean", description: "default: true when dialogue is non-empty"),
            "dialogue": .string(),
            "duration_s": JSONSchema.number.with {
                $0.exclusiveMinimum = .integer(0)
                $0.maximum = .number(TemplateDecoder.maxSceneSeconds)
                $0.defaultValue = 5
            },
            "first_frame": .ref("#/$defs/frame"),
            "last_frame": .ref("#/$defs/frame"),
            "audio": .object(["model": models(.audio), "voice": .string()], closed: true),
            "video": .object(["model": models(.video)], closed: true),
        ], required: ["id"], closed: true)
        var modelDefaults: [String: JSONSchema] = [:]
        for kind in JobKind.templateModelKeys { modelDefaults[kind.rawValue] = models(kind) }
        return JSONSchema.object([
            "$schema": .string(),
            "schema_version": .constant(1),
            "id": slug,
            "name": .string(),
            "aspect_ratio": JSONSchema.oneOf(AspectRatio.allCases.map { .string($0.rawValue) }).with { $0.defaultValue = .string(AspectRatio.portrait.rawValue) },
            "models": .object(modelDefaults, closed: true),
            "avatars": .array(of: .object(["id": slug, "image": image, "voice": .string(description: "a TTS voice id")], required: ["id", "image"], closed: true)),
            "backgrounds": .array(of: .object(["id": slug, "image": image], required: ["id", "image"], closed: true)),
            "dependencies": .array(of: .object([
                "type": .oneOf(SlotType.allCases.map { .string($0.rawValue) }), "asset_key": slug,
                "min": JSONSchema.integer.with { $0.minimum = 0 }, "max": JSONSchema.integer.with { $0.minimum = 1 },
            ], required: ["type", "asset_key", "min", "max"], closed: true)),
            "scenes": JSONSchema.array(of: .ref("#/$defs/scene")).with { $0.minItems = 1 },
        ], required: ["schema_version", "id", "scenes"], closed: true).with {
            $0.schemaURI = "https://json-schema.org/draft/2020-12/schema"
            $0.id = id
            $0.title = "SceneFlow template, schema_version 1"
            $0.defs = ["scene": scene, "frame": frame]
        }
    }
}
