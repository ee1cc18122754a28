import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The review loop a team runs before paying for video, through the built `sceneflow` on the
/// local engine: frames first, new takes of a bad frame, a pick, then the clips.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd, .ffmpeg)) struct ReviewLoopTests {
    static let sample = ["samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--offline", "--resolution", "96"]
    /// Every node that depends on hook's first frame, in the unboxing sample.
    static let afterHookFrame: Set<String> = ["hook.last_frame", "hook.video", "demo.first_frame", "demo.video",
                                              "reaction.first_frame", "reaction.video", "final.video"]

    struct Node {
        var status: String, take: Int?, sha256: String?, madeBy: String?, isJob: Bool
    }

    func nodes(_ folder: URL) throws -> [String: Node] {
        let report = try readReport(folder)
        var nodes: [String: Node] = [:]
        for node in report["nodes"] as? [[String: Any]] ?? [] {
            nodes[node["id"] as! String] = Node(status: node["status"] as? String ?? "", take: node["take"] as? Int,
                                                sha256: node["sha256"] as? String, madeBy: node["made_by"] as? String,
                                                isJob: node["job"] is String)
        }
        return nodes
    }

    @Test func framesFirstThenTakesThenAPickThenTheClips() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        func folder(_ name: String) -> URL { dir.appendingPathComponent(name) }
        func run(_ name: String, _ extra: [String]) async throws -> [String: Node] {
            let result = try await sceneflow(["run"] + Self.sample + extra + ["--out", folder(name).path] + ws)
            #expect(result.status == 0, "\(name): \(result.stderr)")
            return try nodes(folder(name))
        }

        // 1. Frames only: every frame, no voice-over, no clip, no cut.
        let frames = try await run("frames", ["frames"])
        for (id, node) in frames where id.contains("frame") {
            #expect(node.status == "succeeded", "\(id) \(node.status)")
        }
        for id in ["hook.audio", "reaction.audio", "hook.video", "demo.video", "reaction.video", "final.video"] {
            #expect(frames[id]?.status == "skipped", "\(id) \(frames[id]?.status ?? "?")")
        }
        let made = try FileManager.default.contentsOfDirectory(atPath: folder("frames").path)
        #expect(!made.contains { $0.hasSuffix(".mp4") || $0.hasSuffix(".wav") }, "\(made)")

        // 2. Two new takes of hook's first frame: three on disk, each a different picture.
        _ = try await run("take2", ["hook.first_frame", "--regenerate", "hook.first_frame"])
        let take3 = try await run("take3", ["hook.first_frame", "--regenerate", "hook.first_frame"])
        #expect(take3["hook.first_frame"]?.take == 3)
        let listed = try await sceneflow(["takes", "list", folder("take3").path, "hook.first_frame", "--format", "json"] + ws)
        #expect(listed.status == 0, "\(listed.stderr)")
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        let takes = listing["takes"] as? [[String: Any]] ?? []
        #expect(takes.map { $0["take"] as? Int } == [1, 2, 3])
        #expect(Set(takes.compactMap { $0["sha256"] as? String }).count == 3, "each take is a different picture")
        #expect(takes.allSatisfy { ($0["file"] as? String).map { FileManager.default.fileExists(atPath: $0) } == true })
        #expect(listing["used"] as? Int == 3 && (listing["picked"] == nil || listing["picked"] is NSNull))

        // 3. The whole ad: with nothing picked, the newest take is used.
        let full = try await run("full", [])
        #expect(full["hook.first_frame"]?.take == 3 && full["hook.first_frame"]?.status == "cached")

        // 4. Pick take 1; the next run remakes exactly what depends on it, from take 1.
        let pick = try await sceneflow(["takes", "pick", folder("full").path, "hook.first_frame", "1"] + ws)
        #expect(pick.status == 0, "\(pick.stderr)")
        let picked = try await run("picked", [])
        #expect(picked["hook.first_frame"]?.take == 1 && picked["hook.first_frame"]?.status == "cached")
        #expect(picked["hook.first_frame"]?.sha256 == frames["hook.first_frame"]?.sha256, "take 1 is the first picture")
        let framesRunID = try readReport(folder("frames"))["run_id"] as? String
        for (id, node) in picked where node.isJob && id != "hook.first_frame" {
            if Self.afterHookFrame.contains(id) {
                // Remade from take 1, or found in the cache where the frames-first run made it from take 1.
                #expect(node.sha256 != full[id]?.sha256, "\(id) still comes from take 3")
                #expect(node.status == "succeeded" || node.madeBy == framesRunID, "\(id): \(node.status)")
            } else {
                #expect(node.status == "cached" && node.sha256 == full[id]?.sha256, "\(id) does not depend on the pick: \(node.status)")
            }
        }
        #expect(picked["final.video"]?.status == "succeeded")

        // The diagram of the run says which take was used, and that it is the picked one.
        let diagram = try await sceneflow(["graph", "samples/unboxing.json", "--run", folder("picked").path, "--format", "dot"] + ws)
        #expect(diagram.status == 0 && diagram.stdout.contains("take 1, picked"), "\(diagram.stderr)")

        // Bad picks are refused and change nothing.
        let missing = try await sceneflow(["takes", "pick", folder("full").path, "hook.first_frame", "9"] + ws)
        #expect(missing.status == 64 && missing.stderr.contains("no take 9; its takes are 1, 2, 3"), "\(missing.stderr)")
        let unknown = try await sceneflow(["takes", "pick", folder("full").path, "hook.frist_frame", "1"] + ws)
        #expect(unknown.status == 64 && unknown.stderr.contains("did you mean \"hook.first_frame\""), "\(unknown.stderr)")
        let noRun = try await sceneflow(["takes", "list", "no-such-run", "hook.first_frame"] + ws)
        #expect(noRun.status == 66, "\(noRun.stderr)")
        let after = try await sceneflow(["takes", "list", folder("full").path, "hook.first_frame", "--format", "json"] + ws)
        #expect((try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])?["picked"] as? Int == 1)
    }

    @Test func anAvatarOverrideRemakesExactlyWhatUsesThatAvatar() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let sample = ["samples/testimonial.yaml", "--inputs", "samples/testimonial.inputs.json", "--offline", "--resolution", "96"]
        let first = try await sceneflow(["run"] + sample + ["--out", dir.appendingPathComponent("a").path] + ws)
        #expect(first.status == 0, "\(first.stderr)")
        let swapped = try await sceneflow(["run"] + sample + ["--avatar", "jordan=samples/assets/maya.png",
                                                              "--out", dir.appendingPathComponent("b").path] + ws)
        #expect(swapped.status == 0, "\(swapped.stderr)")

        // What the graph says depends on the avatar, by its edges.
        let graph = try await sceneflow(["graph", "samples/testimonial.yaml", "--format", "json"])
        let edges = (try JSONSerialization.jsonObject(with: Data(graph.stdout.utf8)) as? [String: Any])?["edges"] as? [[String: Any]] ?? []
        var expected = Set<String>(), frontier = ["avatar:jordan"]
        while let id = frontier.popLast() {
            for edge in edges where edge["from"] as? String == id {
                let to = edge["to"] as! String
                if expected.insert(to).inserted { frontier.append(to) }
            }
        }
        let after = try nodes(dir.appendingPathComponent("b"))
        let remade = Set(after.filter { $0.value.isJob && $0.value.status == "succeeded" }.keys)
        let expectedJobs = expected.filter { after[$0]?.isJob == true }
        #expect(!expectedJobs.isEmpty && remade == expectedJobs, "remade \(remade.sorted()), expected \(expectedJobs.sorted())")
        #expect(after.filter { $0.value.isJob && !expected.contains($0.key) }.allSatisfy { $0.value.status == "cached" })


        // The same image stored for a product (`assets add --product P avatar:jordan`) is the same
        // hydration: everything is in the cache, and the report says which image the avatar was.
        let add = try await sceneflow(["assets", "add", "--product", "p1", "avatar:jordan", "samples/assets/maya.png"] + ws)
        #expect(add.status == 0, "\(add.stderr)")
        let stored = try await sceneflow(["run"] + sample + ["--product", "p1", "--out", dir.appendingPathComponent("c").path] + ws)
        #expect(stored.status == 0, "\(stored.stderr)")
        let third = try nodes(dir.appendingPathComponent("c"))
        // Every job but the cut, whose file names the product it was made for (its metadata).
        let remadeNow = third.filter { $0.value.isJob && $0.value.status != "cached" }.keys.sorted()
        #expect(remadeNow == ["final.video"], "\(remadeNow)")
        let maya = try await run("sha256sum", [packageRoot.appendingPathComponent("samples/assets/maya.png").path])
        #expect(third["avatar:jordan"]?.sha256 == String(maya.stdout.prefix(64)))
        // A product's image for an avatar the template lacks is not an error: products serve many templates.
        let other = try await sceneflow(["validate", "samples/unboxing.json", "--product", "p1", "--asset", "product_1=samples/products/grinder/product.png"] + ws)
        #expect(other.status == 0, "\(other.stderr)")
    }

    @Test func aRehearsalHasNoTakes() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let sim = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--simulate", "1000",
                                       "--out", dir.appendingPathComponent("sim").path] + ws)
        #expect(sim.status == 0, "\(sim.stderr)")
        let pick = try await sceneflow(["takes", "pick", dir.appendingPathComponent("sim").path, "hook.first_frame", "1"] + ws)
        #expect(pick.status == 64 && pick.stderr.contains("rehearsal"), "\(pick.stderr)")
    }
}

@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd, .ffmpeg)) struct StoredProductTests {
    /// A product's stored files serve every template: slots a template lacks are not its errors.
    @Test func aProductWithMoreSlotsThanTheTemplateRuns() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let products = "samples/products/grinder/"
        for (key, file) in [("product_1", "product.png"), ("brand_logo", "logo.png"), ("size_coin", "coin.png")] {
            let added = try await sceneflow(["assets", "add", "--product", "grinder", key, products + file] + ws)
            #expect(added.status == 0, "\(added.stderr)")
        }
        let run = try await sceneflow(["run", "samples/unboxing.json", "frames", "--product", "grinder", "--offline", "--resolution", "96",
                                       "--out", dir.appendingPathComponent("r").path] + ws)
        #expect(run.status == 0, "\(run.stderr)")
        // An explicit file for a slot the template lacks is still a mistake worth stopping for.
        let typo = try await sceneflow(["validate", "samples/unboxing.json", "--asset", "product_1=\(products)product.png", "--asset", "prodcut_2=\(products)logo.png"])
        #expect(typo.status == 1 && typo.stdout.contains("unknown-slot") || typo.stderr.contains("unknown-slot"), "\(typo.stdout) \(typo.stderr)")
    }
}
