import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct GraphCommandTests {
    @Test func jsonGraphFollowsTheContract() async throws {
        let result = try await sceneflow(["graph", "samples/unboxing.json", "--format", "json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        let edges = try #require(object["edges"] as? [[String: Any]])
        #expect(nodes.count == 13 && edges.count == 16)
        let first = try #require(nodes.first { $0["id"] as? String == "hook.first_frame" })
        #expect(first["kind"] as? String == "first_frame" && first["scene"] as? String == "hook")
        #expect(first["model"] as? String == "fal-ai/kling-image/o1" && first["provider"] as? String == "fal")
        #expect(edges.contains { $0["from"] as? String == "hook.last_frame" && $0["to"] as? String == "demo.first_frame" && $0["type"] as? String == "continuity" })
    }

    @Test("writes each format to a file, atomically", arguments: ["svg", "png", "pdf", "dot"])
    func writesFormats(_ format: String) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("graph.\(format)")
        let result = try await sceneflow(["graph", "samples/testimonial.yaml", "-o", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let data = try Data(contentsOf: out)
        #expect(data.count > 1000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["graph.\(format)"], "no temporary file left behind")
    }

    @Test func invalidTemplateDrawsNothing() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("bad.svg")
        let result = try await sceneflow(["graph", "samples/invalid/unknown-scene.json", "-o", out.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[unknown-scene]"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func allowInvalidDrawsTheCycleHighlighted() async throws {
        let result = try await sceneflow(["graph", "samples/invalid/cycle.json", "--allow-invalid"])
        #expect(result.status == 1, "still invalid")
        #expect(result.stderr.contains("[cycle]"))
        #expect(result.stdout.contains("<svg"))
        #expect(result.stdout.components(separatedBy: ">cycle</text>").count - 1 >= 4, "every edge on the cycle is labelled")
    }

    @Test func unwritableOutputIsAClearErrorAndLeavesNothing() async throws {
        let missingFolder = try await sceneflow(["graph", "samples/unboxing.json", "-o", "/nonexistent-sceneflow/graph.svg"])
        #expect(missingFolder.status == 1)
        #expect(missingFolder.stderr.contains("cannot write /nonexistent-sceneflow/graph.svg"))
        let dir = try temporaryDirectory()
        defer {
            chmod(dir.path, 0o755)
            try? FileManager.default.removeItem(at: dir)
        }
        chmod(dir.path, 0o555)
        let readOnly = try await sceneflow(["graph", "samples/unboxing.json", "-o", dir.appendingPathComponent("g.svg").path])
        if getuid() != 0 { // root ignores directory permissions
            #expect(readOnly.status == 1)
            #expect(readOnly.stderr.contains("permission denied"))
        }
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.path)).allSatisfy { !$0.contains(".tmp-") })
    }

    @Test func runColoursNodesAndShowsThumbnails() async throws {
        let run = packageRoot.appendingPathComponent("Tests/SceneFlowCLITests/Fixtures/run-unboxing")
        let result = try await sceneflow(["graph", "samples/unboxing.json", "--run", run.path])
        #expect(result.status == 0, "\(result.stderr)")
        for marker in ["[OK]", "[FAILED]", "[CACHED]", "[BLOCKED]"] { #expect(result.stdout.contains(marker), "\(marker)") }
        #expect(result.stdout.contains("<image") && result.stdout.contains("xlink:href=\"data:image/png;base64,"),
                "finished frames show their image, embedded when the diagram is not written beside them")
        // Written into the run folder, the diagram refers to the images beside it by name.
        let copy = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: copy) }
        for name in ["run.json", "hook.first_frame.png"] {
            try FileManager.default.copyItem(at: run.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        let beside = try await sceneflow(["graph", "samples/unboxing.json", "--run", copy.path, "-o", copy.appendingPathComponent("run.svg").path])
        #expect(beside.status == 0, "\(beside.stderr)")
        let svg = try String(contentsOf: copy.appendingPathComponent("run.svg"), encoding: .utf8)
        #expect(svg.contains("xlink:href=\"hook.first_frame.png\"") && !svg.contains(copy.path))
        let missing = try await sceneflow(["graph", "samples/unboxing.json", "--run", "/nonexistent-run"])
        #expect(missing.status == 66)
    }

    @Test func rendersInProcessThroughLibgvc() async throws {
        // The binary links libcgraph and libgvc; `graph` works with no `dot` on PATH.
        let libraries = try await run("ldd", [sceneflowBinary.path]).stdout
        #expect(libraries.contains("libcgraph") && libraries.contains("libgvc"))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("g.png")
        let result = try await sceneflow(["graph", "samples/unboxing.json", "-o", out.path], environment: ["PATH": "/nonexistent"])
        #expect(result.status == 0)
        #expect(try Data(contentsOf: out).prefix(4).elementsEqual([0x89, 0x50, 0x4E, 0x47]))
    }
}

@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct PlanCommandTests {
    @Test func planReportsOrderWavesCriticalPathAndCost() async throws {
        let text = try await sceneflow(["plan", "samples/unboxing.json"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("Critical path"))
        #expect(text.stdout.contains("hook.first_frame → hook.last_frame → hook.video → final.video"))
        let json = try await sceneflow(["plan", "samples/testimonial.yaml", "--concurrency", "2", "--limit", "fal=1", "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let estimated = try #require(object["estimated_seconds"] as? Double)
        let bound = try #require(object["lower_bound_seconds"] as? Double)
        #expect(estimated >= bound - 1e-6)
        let providers = try #require(object["providers"] as? [[String: Any]])
        #expect(providers.first { $0["provider"] as? String == "fal" }?["limit"] as? Int == 1)
        #expect((object["waves"] as? [[String]])?.first?.contains("intro.first_frame") == true)
    }

    @Test func planRejectsBadLimitsAndInvalidTemplates() async throws {
        #expect(try await sceneflow(["plan", "samples/unboxing.json", "--limit", "acme=3"]).status == 64)
        #expect(try await sceneflow(["plan", "samples/unboxing.json", "--concurrency", "0"]).status == 64)
        #expect(try await sceneflow(["plan", "samples/invalid/cycle.json"]).status == 1)
    }
}
