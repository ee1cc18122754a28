import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The built binary, end to end: what a user or script sees (output and exit status).
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct ValidateCommandTests {
    @Test("a valid sample exits 0 with nothing on stdout", arguments: ["samples/unboxing.json", "samples/testimonial.yaml", "samples/product-only.json"])
    func validSample(_ path: String) async throws {
        let result = try await sceneflow(["validate", path])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("valid"))
    }

    /// `--help` and `help` print argument-parser's help (on stdout, exit 0), for every command.
    @Test(arguments: [["--help"], ["help"], ["run", "--help"], ["help", "db"], ["db", "migrate", "--help"], ["assets", "add", "-h"]])
    func helpIsHelp(_ arguments: [String]) async throws {
        let result = try await sceneflow(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("USAGE: sceneflow"))
        #expect(!result.stderr.contains("CommandError"))
    }

    @Test func invalidTemplateExits1WithCompilerStyleLines() async throws {
        let result = try await sceneflow(["validate", "samples/invalid/unknown-asset-key.json"])
        #expect(result.status == 1)
        #expect(result.stdout == """
        samples/invalid/unknown-asset-key.json:8:37: error: scene "demo" depends on unknown asset "product_2"; did you mean "product_1"? [unknown-asset-key] (at scenes[1].dependencies[0])

        """)
    }

    @Test func jsonFormatFollowsTheContract() async throws {
        let result = try await sceneflow(["validate", "samples/invalid/cycle.json", "--format", "json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 1)
        let d = diagnostics[0]
        #expect(d["severity"] as? String == "error")
        #expect(d["code"] as? String == "cycle")
        #expect(d["path"] as? String == "scenes[0].first_frame.scene")
        #expect(d["line"] as? Int == 6 && d["column"] as? Int == 59)
        #expect((d["message"] as? String)?.contains("hook.first_frame -> hook.last_frame -> pour.first_frame -> shot.first_frame -> hook.first_frame") == true)
    }

    @Test func validJSONReportSaysValid() async throws {
        let result = try await sceneflow(["validate", "samples/warnings/unused-slot.json", "--format", "json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == true)
        #expect((object["diagnostics"] as? [[String: Any]])?.first?["severity"] as? String == "warning")
    }

    @Test func hydrationInputsAreChecked() async throws {
        let ok = try await sceneflow(["validate", "samples/unboxing.json", "--asset", "product_1=samples/products/grinder/product.png"])
        #expect(ok.status == 0)
        let wrongType = try await sceneflow(["validate", "samples/unboxing.json", "--asset", "product_1=samples/products/grinder/demo.mp4"])
        #expect(wrongType.status == 1)
        #expect(wrongType.stdout.contains("[asset-type-mismatch] (at --asset[0])"))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let emptyInputs = dir.appendingPathComponent("empty.inputs.json")
        try Data(#"{"product_id": "p1", "assets": {}}"#.utf8).write(to: emptyInputs)
        let empty = try await sceneflow(["validate", "samples/unboxing.json", "--inputs", emptyInputs.path])
        #expect(empty.status == 1)
        #expect(empty.stdout == """
        samples/unboxing.json:10:59: error: required slot "product_1" (product_image) is empty; it needs 1 file [required-slot-empty] (at dependencies[0])

        """)
        // An explicit --asset wins over the inputs file's entry for the same key.
        let badInputs = dir.appendingPathComponent("bad.inputs.json")
        try Data(#"{"assets": {"product_1": ["missing.png"]}}"#.utf8).write(to: badInputs)
        #expect(try await sceneflow(["validate", "samples/unboxing.json", "--inputs", badInputs.path]).status == 1)
        let overridden = try await sceneflow(["validate", "samples/unboxing.json", "--inputs", badInputs.path,
                                        "--asset", "product_1=samples/products/grinder/product.png"])
        #expect(overridden.status == 0, "\(overridden.stdout)")
    }

    @Test func unreadableFilesExit66() async throws {
        let missing = try await sceneflow(["validate", "samples/no-such-template.json"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("no such file"))
        let directory = try await sceneflow(["validate", "samples"])
        #expect(directory.status == 66)
        #expect(directory.stderr.contains("directory"))
        let inputs = try await sceneflow(["validate", "samples/unboxing.json", "--inputs", "nope.json"])
        #expect(inputs.status == 66)
    }

    @Test func usageErrorsExit64() async throws {
        #expect(try await sceneflow(["validate"]).status == 64)
        #expect(try await sceneflow(["validate", "samples/unboxing.json", "--asset", "no-equals-sign"]).status == 64)
        #expect(try await sceneflow(["validate", "samples/unboxing.json", "--format", "xml"]).status == 64)
        #expect(try await sceneflow(["frobnicate"]).status == 64)
    }

    @Test func hostileFilesExit1NeverCrash() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, [UInt8])] = [
            ("truncated.json", Array("{\"schema_version\": 1, \"scenes\": [".utf8)),
            ("garbage.json", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }),
            ("empty.yaml", []),
            ("nul.json", [0x7B, 0x00, 0x7D]),
            ("deep.json", Array((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8)),
            ("deep.yaml", Array((String(repeating: "- ", count: 3_000) + "x\n").utf8)),
            ("types.json", Array("{\"schema_version\": [], \"id\": {}, \"scenes\": {\"a\": 1}, \"models\": 3}".utf8)),
        ]
        for (name, bytes) in cases {
            try Data(bytes).write(to: dir.appendingPathComponent(name))
            let result = try await sceneflow(["validate", dir.appendingPathComponent(name).path])
            #expect(result.status == 1, "\(name): \(result.status) \(result.stderr)")
            #expect(!result.stdout.isEmpty, "\(name) printed no diagnostic")
        }
    }

    @Test func modelsListsTheRegistry() async throws {
        let text = try await sceneflow(["models"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("fal-ai/kling-image/o1 *"))
        let json = try await sceneflow(["models", "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let kling = try #require(rows.first { $0["id"] as? String == "fal-ai/kling-video/v2.6/pro/image-to-video" })
        #expect(kling["durations_s"] as? [Double] == [5, 10])
        #expect(kling["key_env"] as? String == "FAL_KEY")
        #expect(rows.contains { $0["id"] as? String == "elevenlabs/eleven_multilingual_v2" && $0["provider"] as? String == "elevenlabs" })
    }
}
