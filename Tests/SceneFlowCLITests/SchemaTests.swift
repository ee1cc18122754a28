import Foundation
import PropertyBased
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// `sceneflow schema`, checked by an independent implementation of JSON Schema (Python's
/// `jsonschema`): valid itself, accepting every valid sample and generated template, refusing
/// the samples whose problem is one of shape.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct SchemaTests {
    /// Invalid samples whose problem a schema can see (the rest need `validate`: references, cycles, files).
    static let shapeProblems = ["invalid-id", "invalid-type", "invalid-value", "missing-field", "unknown-field", "unsupported-schema-version",
                                "unknown-model", "model-kind-mismatch", "missing-camera", "invalid-slot-bounds", "invalid-image-reference"]

    struct Checked: Decodable {
        var schema_ok: Bool
        var schema_error: String?
        var files: [String: [String]]
    }

    func check(_ files: [String], in dir: URL) async throws -> Checked {
        let schema = dir.appendingPathComponent("schema.json")
        let written = try await sceneflow(["schema", "-o", schema.path])
        #expect(written.status == 0, "\(written.stderr)")
        let script = packageRoot.appendingPathComponent("Tests/SceneFlowCLITests/Fixtures/check_schema.py").path
        let result = try await run("python3", [script, schema.path] + files, timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(Checked.self, from: Data(result.stdout.utf8))
    }

    @Test func samplesAndGeneratedTemplatesPassAndShapeErrorsFail() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var valid = ["samples/unboxing.json", "samples/product-only.json"].map { packageRoot.appendingPathComponent($0).path }
        for (k, shape) in TemplateFactory.Shape.allCases.enumerated() {
            for scenes in [1, 7, 60] {
                valid.append(try TemplateFactory.write(scenes: scenes, shape: shape, seed: UInt64(k * 100 + scenes), into: dir).path)
            }
        }
        let invalidDir = packageRoot.appendingPathComponent("samples/invalid")
        // The JSON ones (Python's standard library reads no YAML).
        let invalid = Self.shapeProblems.map { invalidDir.appendingPathComponent("\($0).json").path }.filter { FileManager.default.fileExists(atPath: $0) }
        #expect(invalid.count >= 9)
        let checked = try await check(valid + invalid, in: dir)
        #expect(checked.schema_ok, "\(checked.schema_error ?? "")")
        for file in valid { #expect(checked.files[file] == [], "\(file): \(checked.files[file] ?? [])") }
        for file in invalid { #expect(checked.files[file]?.isEmpty == false, "\(file) passes the schema") }
    }

    @Test func theSchemaIsWrittenOnlyWhereAsked() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let printed = try await sceneflow(["schema"])
        let object = try JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [String: Any]
        #expect(printed.status == 0 && object?["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let overFolder = try await sceneflow(["schema", "-o", dir.path])
        #expect(overFolder.status == 64, "\(overFolder.stderr)")
        // A template may point at the schema.
        let template = dir.appendingPathComponent("t.json")
        try Data(#"{"$schema": "./schema.json", "schema_version": 1, "id": "t", "scenes": [{"id": "a", "prompt": "p"}]}"#.utf8).write(to: template)
        #expect(try await sceneflow(["validate", template.path]).status == 0)
    }
}
