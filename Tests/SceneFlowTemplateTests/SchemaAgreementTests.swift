import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// The decoder, `sceneflow schema` and docs/template-format.md describe one format: a template
/// that uses every field the schema lists reads without an unknown field, the schema lists every
/// field that template uses, and the document names each of them.
@Suite(.timeLimit(.minutes(1))) struct SchemaAgreementTests {
    static let frameModel = "fal-ai/kling-image/o1", videoModel = "fal-ai/kling-video/v2.6/pro/image-to-video"
    static let audioModel = "elevenlabs/eleven_multilingual_v2"
    /// Every field of template-v1, each used once.
    nonisolated(unsafe) static let everyField: [String: Any] = [
        "$schema": "./schema.json", "schema_version": 1, "id": "everything", "name": "Every field", "aspect_ratio": "9:16",
        "models": ["first_frame": frameModel, "last_frame": frameModel, "camera_angle": frameModel, "audio": audioModel, "video": videoModel],
        "avatars": [["id": "maya", "image": "../samples/assets/maya.png", "voice": "v1"]],
        "backgrounds": [["id": "kitchen", "image": "../samples/assets/kitchen.png"]],
        "dependencies": [["type": "product_image", "asset_key": "product_1", "min": 1, "max": 1]],
        "scenes": [
            ["id": "hook", "avatar": "maya", "background": "kitchen", "dependencies": ["product_1"], "prompt": "p", "speaking": true,
             "dialogue": "Hello.", "duration_s": 5, "first_frame": ["source": "generate", "model": frameModel, "prompt": "p"],
             "last_frame": ["source": "generate"], "audio": ["model": audioModel, "voice": "v2"], "video": ["model": videoModel]],
            ["id": "angle", "first_frame": ["source": "camera_angle", "scene": "hook", "camera": "close-up", "frame": "last", "model": frameModel]],
            ["id": "same", "first_frame": ["source": "first_frame_of", "scene": "hook"]],
            ["id": "next", "first_frame": ["source": "last_frame_of", "scene": "hook"]],
        ] as [[String: Any]],
    ]

    /// Field names per kind of object, from a template or from the schema.
    static func fields(of template: [String: Any]) -> [String: Set<String>] {
        let scenes = template["scenes"] as! [[String: Any]]
        let frames = scenes.flatMap { [$0["first_frame"], $0["last_frame"]].compactMap { $0 as? [String: Any] } }
        return [
            "template": Set(template.keys), "models": Set((template["models"] as! [String: Any]).keys),
            "avatar": Set((template["avatars"] as! [[String: Any]]).flatMap(\.keys)),
            "background": Set((template["backgrounds"] as! [[String: Any]]).flatMap(\.keys)),
            "slot": Set((template["dependencies"] as! [[String: Any]]).flatMap(\.keys)),
            "scene": Set(scenes.flatMap(\.keys)), "frame": Set(frames.flatMap(\.keys)),
            "audio": Set(scenes.compactMap { $0["audio"] as? [String: Any] }.flatMap(\.keys)),
            "video": Set(scenes.compactMap { $0["video"] as? [String: Any] }.flatMap(\.keys)),
        ]
    }

    static func fields(ofSchema schema: [String: Any]) -> [String: Set<String>] {
        func properties(_ object: Any?) -> [String: Any] { (object as? [String: Any])?["properties"] as? [String: Any] ?? [:] }
        func items(_ object: Any?) -> Any? { (object as? [String: Any])?["items"] }
        let top = properties(schema)
        let defs = schema["$defs"] as! [String: Any]
        let scene = properties(defs["scene"])
        return [
            "template": Set(top.keys), "models": Set(properties(top["models"]).keys),
            "avatar": Set(properties(items(top["avatars"])).keys), "background": Set(properties(items(top["backgrounds"])).keys),
            "slot": Set(properties(items(top["dependencies"])).keys),
            "scene": Set(scene.keys), "frame": Set(properties(defs["frame"]).keys),
            "audio": Set(properties(scene["audio"]).keys), "video": Set(properties(scene["video"]).keys),
        ]
    }

    @Test func theSchemaListsExactlyTheFieldsTheDecoderReads() throws {
        let data = try JSONSerialization.data(withJSONObject: Self.everyField)
        let loaded = LoadedTemplate.parse(bytes: Array(data), path: packageRoot.appendingPathComponent("docs/everything.json").path)
        let diagnostics = loaded.validate()
        #expect(!diagnostics.contains { $0.code == .unknownField }, "\(diagnostics.filter { $0.code == .unknownField }.map(\.message))")
        let schema = try #require(JSONSerialization.jsonObject(with: Data(TemplateSchema.json().utf8)) as? [String: Any])
        #expect(Self.fields(ofSchema: schema) == Self.fields(of: Self.everyField))
    }

    @Test func theFormatDocumentNamesEveryField() throws {
        let document = try String(contentsOf: packageRoot.appendingPathComponent("docs/template-format.md"), encoding: .utf8)
        for (kind, names) in Self.fields(of: Self.everyField) {
            for name in names { #expect(document.contains("`\(name)`"), "docs/template-format.md does not name \(kind) field \(name)") }
        }
        for value in AspectRatio.allCases.map(\.rawValue) + SlotType.allCases.map(\.rawValue) + FrameSource.allCases.map(\.rawValue) {
            #expect(document.contains(value), "docs/template-format.md does not mention \(value)")
        }
    }

    @Test func anUnknownFieldIsRefusedEverywhere() {
        for (path, text) in [
            ("colour", #"{"schema_version": 1, "id": "t", "colour": 1, "scenes": [{"id": "a"}]}"#),
            ("scenes[0].durations", #"{"schema_version": 1, "id": "t", "scenes": [{"id": "a", "durations": 5}]}"#),
            ("scenes[0].first_frame.camera", #"{"schema_version": 1, "id": "t", "scenes": [{"id": "a", "first_frame": {"source": "generate", "camera": "x"}}]}"#),
        ] {
            let diagnostics = parse(text).validate()
            #expect(diagnostics.contains { $0.code == .unknownField && $0.path == path }, "\(path): \(diagnostics.map(\.message))")
        }
    }
}
