import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// Snapshot tests: every broken template in `samples/invalid/` (and each warning in
/// `samples/warnings/`) produces exactly the diagnostics in its `.expected` file: code, message,
/// JSON path, line and column. Run with `SCENEFLOW_RECORD=1` to rewrite the snapshots after an
/// intended change, then review the diff.
@Suite(.timeLimit(.minutes(2))) struct InvalidSamplesTests {
    static let invalid = files(in: "samples/invalid", extensions: ["json", "yaml", "yml"])
    static let warnings = files(in: "samples/warnings", extensions: ["json", "yaml", "yml"])
    static let inputCases = files(in: "samples/invalid/inputs", extensions: ["json"]).filter { $0.hasSuffix(".inputs.json") }

    @Test("every invalid sample gives exactly its expected diagnostics", arguments: invalid)
    func invalidSample(_ path: String) throws {
        let diagnostics = try validate(path)
        #expect(diagnostics.hasErrors, "an invalid sample must fail validation (exit 1)")
        try assertSnapshot(diagnostics, for: path)
        try assertNamesItsRule(diagnostics, path)
    }

    @Test("every warning sample is valid and gives exactly its expected warnings", arguments: warnings)
    func warningSample(_ path: String) throws {
        let diagnostics = try validate(path)
        #expect(!diagnostics.hasErrors)
        #expect(!diagnostics.isEmpty)
        try assertSnapshot(diagnostics, for: path)
        try assertNamesItsRule(diagnostics, path)
    }

    @Test("every broken inputs file gives exactly its expected diagnostics", arguments: inputCases)
    func inputsSample(_ path: String) throws {
        let diagnostics = try validate("samples/invalid/inputs/template.json", inputs: path)
        #expect(diagnostics.hasErrors)
        try assertSnapshot(diagnostics, for: path.replacingOccurrences(of: ".inputs.json", with: ".json"))
        try assertNamesItsRule(diagnostics, path.replacingOccurrences(of: ".inputs.json", with: ".json"))
    }

    @Test("every diagnostic code has a sample that demonstrates it")
    func everyCodeHasASample() {
        let names = Set((Self.invalid + Self.warnings + Self.inputCases).map {
            URL(fileURLWithPath: $0).lastPathComponent.components(separatedBy: ".")[0]
        })
        let missing = DiagnosticCode.allCases.map(\.rawValue).filter { !names.contains($0) }
        #expect(missing.isEmpty, "codes without a sample: \(missing)")
    }

    /// A sample is named after the code it demonstrates; that code must be among its diagnostics.
    private func assertNamesItsRule(_ diagnostics: [Diagnostic], _ path: String) throws {
        let code = URL(fileURLWithPath: path).lastPathComponent.components(separatedBy: ".")[0]
        #expect(diagnostics.contains { $0.code.rawValue == code }, "\(path) should report [\(code)]")
    }

    private func assertSnapshot(_ diagnostics: [Diagnostic], for path: String) throws {
        let actual = DiagnosticReport.text(diagnostics) + "\n"
        let expectedURL = packageRoot.appendingPathComponent(path).deletingPathExtension().appendingPathExtension("expected")
        if ProcessInfo.processInfo.environment["SCENEFLOW_RECORD"] == "1" {
            try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(actual == expected, "diagnostics of \(path) differ from \(expectedURL.lastPathComponent)")
    }
}

@Suite(.timeLimit(.minutes(2))) struct SampleTemplateTests {
    static let samples = ["samples/unboxing.json", "samples/testimonial.yaml", "samples/product-only.json"]

    @Test("every sample validates with no diagnostics, with and without its inputs", arguments: samples)
    func sampleValidates(_ path: String) throws {
        #expect(try validate(path).isEmpty)
        let inputs = path.replacingOccurrences(of: ".json", with: ".inputs.json").replacingOccurrences(of: ".yaml", with: ".inputs.json")
        #expect(try validate(path, inputs: inputs).isEmpty)
    }

    @Test("the YAML and JSON forms of one template decode to the same model")
    func yamlAndJSONAgree() throws {
        let json = """
        {"schema_version": 1, "id": "same", "aspect_ratio": "16:9",
         "dependencies": [{"type": "logo", "asset_key": "logo", "min": 0, "max": 1}],
         "scenes": [{"id": "a", "dialogue": "Hi", "duration_s": 5, "dependencies": ["logo"]},
                    {"id": "b", "speaking": false, "first_frame": {"source": "camera_angle", "scene": "a", "camera": "wide", "frame": "first"}}]}
        """
        let yaml = """
        schema_version: 1
        id: same
        aspect_ratio: "16:9"
        dependencies:
          - {type: logo, asset_key: logo, min: 0, max: 1}
        scenes:
          - {id: a, dialogue: Hi, duration_s: 5, dependencies: [logo]}
          - id: b
            speaking: false
            first_frame: {source: camera_angle, scene: a, camera: wide, frame: first}
        """
        let a = parse(json, name: "t.json"), b = parse(yaml, name: "t.yaml")
        #expect(a.findings.all.isEmpty && b.findings.all.isEmpty)
        let ta = try #require(a.template), tb = try #require(b.template)
        #expect(ta.aspectRatio == tb.aspectRatio && ta.aspectRatio == .landscape)
        #expect(ta.scenes.map { $0.id?.value } == tb.scenes.map { $0.id?.value })
        #expect(ta.scenes.map(\.isSpeaking) == [true, false] && tb.scenes.map(\.isSpeaking) == [true, false])
        #expect(tb.scenes[1].firstFrame?.source == .cameraAngle && tb.scenes[1].firstFrame?.camera?.value == "wide")
        #expect(tb.slots.first?.max?.value == 1 && tb.slots.first?.type?.value == .logo)
    }
}
