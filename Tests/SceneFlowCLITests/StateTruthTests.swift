import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// What a report says is what is on disk (issue 23): images whose pixels do not decode, inputs
/// that change during a run, cache objects damaged in place, delivery folders, damaged and
/// locked databases, and the small ways a command could succeed while doing nothing.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd)) struct StateTruthTests {
    static let unboxing = ["samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json"]
    static let product = packageRoot.appendingPathComponent("samples/products/grinder/product.png")

    /// A PNG whose chunks and CRCs are all valid, but whose image data does not inflate.
    static func undecodablePNG() -> Data {
        let garbage: [UInt8] = [0x78, 0x9C] + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        return Data(pngFile(width: 64, height: 64, idat: garbage))
    }

    func sha256(_ url: URL) async throws -> String {
        String(try await run("sha256sum", [url.path]).stdout.prefix(64))
    }

    /// Every node of a run folder's report that names an output: its digest is the file's.
    func digestsMatch(_ folder: URL) async throws -> [String] {
        let report = try readReport(folder)
        var wrong: [String] = []
        for node in report["nodes"] as? [[String: Any]] ?? [] {
            guard let output = node["output"] as? String, let digest = node["sha256"] as? String, node["job"] != nil else { continue }
            let actual = try await sha256(folder.appendingPathComponent(output))
            if actual != digest { wrong.append("\(node["id"] ?? "?"): \(output) is \(actual.prefix(12)), the report says \(digest.prefix(12))") }
        }
        return wrong
    }

    @Test func anImageWhosePixelsDoNotDecodeIsRefusedBeforeAnythingIsSpent() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.png")
        try Self.undecodablePNG().write(to: bad)
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]

        let validated = try await sceneflow(["validate", "samples/unboxing.json", "--asset", "product_1=\(bad.path)"] + ws)
        #expect(validated.status == 1 && validated.stdout.contains("[invalid-media]") && validated.stdout.contains("do not decode"),
                "\(validated.stdout) \(validated.stderr)")
        let run = try await sceneflow(["run", "samples/unboxing.json", "--asset", "product_1=\(bad.path)", "--offline"] + ws)
        #expect(run.status == 1 && run.stderr.contains("do not decode"), "\(run.stderr)")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("ws/runs").path)) ?? []
        #expect(folders.isEmpty, "no run was started: \(folders)")
        let added = try await sceneflow(["assets", "add", "--product", "p", "product_1", bad.path] + ws)
        #expect(added.status == 1 && added.stderr.contains("nothing was stored"), "\(added.stderr)")

        // A template's own avatar that does not decode: located at its field.
        let folder = dir.appendingPathComponent("template")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/unboxing.json"), to: folder.appendingPathComponent("t.json"))
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/assets"), to: folder.appendingPathComponent("assets"))
        try Self.undecodablePNG().write(to: folder.appendingPathComponent("assets/maya.png"))
        let template = try await sceneflow(["validate", folder.appendingPathComponent("t.json").path, "--format", "json"])
        #expect(template.status == 1 && template.stdout.contains("invalid-media") && template.stdout.contains("avatars[0].image"), "\(template.stdout)")
    }

    @Test func anInputReplacedDuringARunChangesNothingItMakes() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let input = dir.appendingPathComponent("product.png")
        try FileManager.default.copyItem(at: Self.product, to: input)
        let original = try await sha256(input)
        let out = dir.appendingPathComponent("first")
        let process = try launchSceneflow(["run", "samples/unboxing.json", "--asset", "product_1=\(input.path)", "--offline", "--out", out.path] + ws)
        // Once the run has read its inputs, the file is replaced by another image.
        let pinned = await waitUntil(timeout: 60, interval: 0.02) {
            let nodes = (try? readReport(out))?["nodes"] as? [[String: Any]] ?? []
            return nodes.contains { $0["id"] as? String == "asset:product_1" && $0["status"] as? String == "succeeded" }
        }
        #expect(pinned)
        let coin = packageRoot.appendingPathComponent("samples/products/grinder/coin.png")
        try Data(contentsOf: coin).write(to: input.appendingPathExtension("new"))
        #expect(rename(input.appendingPathExtension("new").path, input.path) == 0)
        let outcome = await process.exit()
        #expect(outcome.succeeded, "\(String(decoding: outcome.stderr, as: UTF8.self).suffix(800))")
        let report = try readReport(out)
        let asset = (report["nodes"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "asset:product_1" }
        #expect(asset?["sha256"] as? String == original, "the report names what the run read")
        #expect(try await digestsMatch(out).isEmpty)

        // The same run with the original file elsewhere makes the very same frame (deterministic scheduler).
        let control = dir.appendingPathComponent("control")
        let fresh = ["--workspace", dir.appendingPathComponent("ws2").path]
        #expect(try await sceneflow(["run"] + Self.unboxing + ["--offline", "--out", control.path] + fresh).status == 0)
        func frame(_ folder: URL) throws -> String? {
            ((try readReport(folder))["nodes"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "hook.first_frame" }?["sha256"] as? String
        }
        #expect(try frame(out) == frame(control), "the frame was made from the image that was read, not the new one")

        // A later run with the new image makes a new frame: nothing of the old is reused for it.
        let later = dir.appendingPathComponent("later")
        #expect(try await sceneflow(["run", "samples/unboxing.json", "--asset", "product_1=\(input.path)", "--offline", "--out", later.path] + ws).status == 0)
        #expect(statuses(try readReport(later))["hook.first_frame"] == "succeeded")
        #expect(try frame(later) != frame(out))
    }

    @Test func twoIdenticalRunsAtOnceEachDeliverWhatTheirReportSays() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        for round in 0..<3 {
            let outs = (0..<2).map { dir.appendingPathComponent("round\(round)-\($0)") }
            let processes = try outs.map { out in
                try launchSceneflow(["run"] + Self.unboxing + ["--offline", "--resolution", "240", "--out", out.path] + ws)
            }
            for process in processes {
                let outcome = await process.exit()
                #expect(outcome.succeeded, "\(String(decoding: outcome.stderr, as: UTF8.self).suffix(600))")
            }
            for out in outs {
                let wrong = try await digestsMatch(out)
                #expect(wrong.isEmpty, "round \(round), \(out.lastPathComponent): \(wrong)")
            }
            // Rerun cached: the next round starts from a fresh cache.
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("ws/cache"))
        }
    }

    @Test func aCacheObjectDamagedInPlaceIsCaughtSetAsideAndMadeAgain() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let first = dir.appendingPathComponent("first")
        #expect(try await sceneflow(["run"] + Self.unboxing + ["--offline", "--resolution", "240", "--out", first.path] + ws).status == 0)
        let object = try DataSafetyTests().cacheObject(of: "hook.first_frame", in: dir.appendingPathComponent("ws/cache/objects"))
        // Same size, one byte changed, its time set back: the cheap check cannot see it.
        let attributes = try FileManager.default.attributesOfItem(atPath: object.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object.path)
        var bytes = try Data(contentsOf: object)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: object)
        try FileManager.default.setAttributes([.modificationDate: attributes[.modificationDate] as Any, .posixPermissions: 0o444], ofItemAtPath: object.path)

        let second = dir.appendingPathComponent("second")
        let rerun = try await sceneflow(["run"] + Self.unboxing + ["--offline", "--resolution", "240", "--out", second.path] + ws)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(statuses(try readReport(second))["hook.first_frame"] == "succeeded", "made again, not delivered damaged")
        #expect(try await digestsMatch(second).isEmpty)
        let quarantine = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("ws/cache/quarantine").path)) ?? []
        #expect(quarantine.contains { $0.hasSuffix(".png") }, "the damaged object is kept aside: \(quarantine)")

        // Something that is not a file where an object belongs is set aside too, not a failure of every run.
        try FileManager.default.removeItem(at: object)
        try FileManager.default.createDirectory(at: object, withIntermediateDirectories: false)
        try FileManager.default.removeItem(at: object.deletingPathExtension().appendingPathExtension("json"))
        let third = dir.appendingPathComponent("third")
        let again = try await sceneflow(["run"] + Self.unboxing + ["--offline", "--resolution", "240", "--out", third.path] + ws)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await digestsMatch(third).isEmpty)
    }

    @Test func racingAssetsAddAndRemoveNeverLeaveARowWithoutItsFile() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        for loop in 0..<12 {
            #expect(try await sceneflow(["assets", "add", "--product", "a", "product_1", Self.product.path] + ws).status == 0)
            let add = try launchSceneflow(["assets", "add", "--product", "b\(loop)", "product_1", Self.product.path] + ws)
            let remove = try launchSceneflow(["assets", "remove", "--product", "a", "product_1"] + ws)
            let (added, removed) = (await add.exit(), await remove.exit())
            #expect(added.succeeded && removed.succeeded, "\(String(decoding: added.stderr + removed.stderr, as: UTF8.self))")
            let listing = try await sceneflow(["assets", "list", "--product", "b\(loop)", "--format", "json"] + ws)
            let rows = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]] ?? []
            #expect(rows.count == 1, "loop \(loop): \(listing.stdout)")
            for row in rows {
                let file = dir.appendingPathComponent("ws").appendingPathComponent(row["file"] as? String ?? "")
                let exists = FileManager.default.fileExists(atPath: row["file"] as? String ?? "") || FileManager.default.fileExists(atPath: file.path)
                #expect(exists, "loop \(loop): b's row points at a file that is gone: \(row)")
            }
        }
    }

    @Test func deliveryFoldersBelongToOneRunOfOneWorkspace() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = dir.appendingPathComponent("ws")
        let ws = ["--workspace", workspace.path]
        let quick = Self.unboxing + ["--simulate", "1000"]
        // Inside the workspace's own machinery: refused, nothing written there.
        for inside in ["tmp/x", "cache/out", "assets", "journal/x"] {
            let refused = try await sceneflow(["run"] + quick + ["--out", workspace.appendingPathComponent(inside).path] + ws)
            #expect(refused.status == 64 && refused.stderr.contains("inside the workspace"), "\(inside): \(refused.status) \(refused.stderr)")
        }
        let out = dir.appendingPathComponent("out")
        #expect(try await sceneflow(["run"] + quick + ["--out", out.path] + ws).status == 0)
        // Another workspace may not take it over.
        let other = try await sceneflow(["run"] + quick + ["--out", out.path, "--workspace", dir.appendingPathComponent("other").path])
        #expect(other.status == 64 && other.stderr.contains("another workspace"), "\(other.stderr)")

        // Two runs on one folder at once: the second is refused while the first writes.
        // (In a workspace of its own, so that nothing is in its cache yet and the first run takes a while.)
        let busy = dir.appendingPathComponent("busy")
        let own = ["--workspace", dir.appendingPathComponent("ws-busy").path]
        let first = try launchSceneflow(["run"] + Self.unboxing + ["--simulate", "5", "--out", busy.path] + own)
        #expect(await waitUntil(timeout: 30) { FileManager.default.fileExists(atPath: busy.appendingPathComponent("run.json").path) })
        let second = try await sceneflow(["run"] + quick + ["--out", busy.path] + own)
        #expect(second.status == 64 && second.stderr.contains("in use"), "\(second.stderr)")
        #expect((await first.exit()).succeeded)

        // A reused folder keeps nothing of the earlier run but what the new one writes; an input
        // inside it that the earlier run delivered is refused, not deleted.
        // (As if the earlier run had delivered a caption of a scene and a picture.)
        try Data("stale".utf8).write(to: out.appendingPathComponent("old-scene.captions.srt"))
        let delivered = "hook.first_frame.png"
        try FileManager.default.copyItem(at: Self.product, to: out.appendingPathComponent(delivered))
        let marker = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent(".sceneflow-run.json"))) as? [String: Any]
        let files = (marker?["files"] as? [String] ?? []) + ["old-scene.captions.srt", delivered]
        try JSONSerialization.data(withJSONObject: ["workspace": workspace.path, "run_id": marker?["run_id"] ?? "", "files": files])
            .write(to: out.appendingPathComponent(".sceneflow-run.json"))
        let reading = try await sceneflow(["run", "samples/unboxing.json", "--asset", "product_1=\(out.appendingPathComponent(delivered).path)", "--simulate", "1000",
                                           "--out", out.path] + ws)
        #expect(reading.status == 64 && reading.stderr.contains("reads it as an input"), "\(reading.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(delivered).path), "the input is still there")
        #expect(try await sceneflow(["run"] + quick + ["--out", out.path] + ws).status == 0)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("old-scene.captions.srt").path), "the stale caption went")
        try Data("mine".utf8).write(to: out.appendingPathComponent("notes.txt"))
        #expect(try await sceneflow(["run"] + quick + ["--out", out.path] + ws).status == 0)
        #expect(try String(contentsOf: out.appendingPathComponent("notes.txt"), encoding: .utf8) == "mine", "a file SceneFlow did not write stays")
    }

    @Test func aDatabaseThatIsNotADatabaseIsReportedAndLeftUntouched() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = dir.appendingPathComponent("ws")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let database = workspace.appendingPathComponent("sceneflow.sqlite")
        for (label, content) in [("empty", Data()), ("foreign", Data("name,price\ngrinder,99\n".utf8)), ("truncated", Data("SQLite format 3\0".utf8))] {
            try content.write(to: database)
            for command in [["runs", "list"], ["assets", "list", "--product", "p"], ["run"] + Self.unboxing + ["--simulate", "1000"]] {
                let result = try await sceneflow(command + ["--workspace", workspace.path])
                #expect(result.status != 0 && result.stderr.contains("left untouched"), "\(label), \(command[0]): \(result.status) \(result.stderr)")
                #expect(try Data(contentsOf: database) == content, "\(label): the file is as it was")
            }
        }
        // Commands that only read do not create a workspace where there is none.
        let typo = dir.appendingPathComponent("typo")
        let listed = try await sceneflow(["runs", "list", "--workspace", typo.path])
        #expect(listed.status == 66 && listed.stderr.contains("no workspace"), "\(listed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: typo.path))
    }

    @Test func aDatabaseLockedDuringARunIsWaitedForAndTheTrueStatusRecorded() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = dir.appendingPathComponent("ws")
        let out = dir.appendingPathComponent("out")
        let runProcess = try launchSceneflow(["run"] + Self.unboxing + ["--simulate", "2", "--out", out.path, "--workspace", workspace.path])
        #expect(await waitUntil(timeout: 30) { FileManager.default.fileExists(atPath: out.appendingPathComponent("run.json").path) })
        // Another process holds the database for 12 s while the run goes on and ends.
        let script = "import sqlite3, time; c = sqlite3.connect('\(workspace.appendingPathComponent("sceneflow.sqlite").path)', isolation_level=None); c.execute('BEGIN EXCLUSIVE'); time.sleep(12); c.execute('COMMIT')"
        let holder = try ChildProcess.launch(Command(Command.find("python3")!, arguments: ["-c", script]))
        let outcome = await runProcess.exit()
        _ = await holder.exit()
        #expect(outcome.succeeded, "\(String(decoding: outcome.stderr, as: UTF8.self).suffix(600))")
        let history = try await sceneflow(["runs", "list", "--format", "json", "--workspace", workspace.path])
        let rows = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.first?["status"] as? String == (try readReport(out))["status"] as? String, "\(history.stdout.prefix(400))")
        #expect((rows.first?["counts"] as? [String: Any])?["jobs"] as? Int ?? 0 > 0)
    }

    @Test func commandsThatWouldDoNothingSaySo() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let quick = Self.unboxing + ["--simulate", "1000"]
        let input = try await sceneflow(["run"] + quick + ["--regenerate", "avatar:maya"] + ws)
        #expect(input.status == 64 && input.stderr.contains("is an input"), "\(input.stderr)")
        let stage = try await sceneflow(["run"] + quick + ["--regenerate", "frames"] + ws)
        #expect(stage.status == 0 && !stage.stderr.contains("did you mean"), "\(stage.stderr)")
        let twice = try await sceneflow(["run"] + quick + ["--avatar", "maya=samples/products/grinder/coin.png", "--avatar", "maya=samples/products/grinder/logo.png"] + ws)
        #expect(twice.status == 64 && twice.stderr.contains("given twice"), "\(twice.stderr)")
        let plan = try await sceneflow(["plan", "samples/invalid/cycle.json", "--format", "json"])
        #expect(plan.status == 1 && (try? JSONSerialization.jsonObject(with: Data(plan.stdout.utf8))) != nil, "JSON on standard output: \(plan.stdout)")
        let graph = try await sceneflow(["graph", "samples/invalid/cycle.json", "--format", "json"])
        #expect(graph.status == 1 && (try? JSONSerialization.jsonObject(with: Data(graph.stdout.utf8))) != nil, "JSON on standard output: \(graph.stdout)")
    }

    @Test func aPickBelongsToItsTemplate() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        // Another template with the very same jobs (another id, the same folder for its images).
        let copy = packageRoot.appendingPathComponent("samples/.copy-\(UUID().uuidString).json")
        let text = try String(contentsOf: packageRoot.appendingPathComponent("samples/unboxing.json"), encoding: .utf8)
        try text.replacingOccurrences(of: "\"grinder-unboxing\"", with: "\"grinder-unboxing-copy\"").write(to: copy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: copy) }
        let quick = ["--inputs", "samples/unboxing.inputs.json", "--offline", "--resolution", "240", "hook.first_frame"]
        let first = dir.appendingPathComponent("first")
        #expect(try await sceneflow(["run", "samples/unboxing.json"] + quick + ["--out", first.path] + ws).status == 0)
        #expect(try await sceneflow(["run", "samples/unboxing.json"] + quick + ["--regenerate", "hook.first_frame"] + ws).status == 0)
        #expect(try await sceneflow(["takes", "pick", first.path, "hook.first_frame", "1"] + ws).status == 0)
        let other = dir.appendingPathComponent("other")
        #expect(try await sceneflow(["run", copy.path] + quick + ["--out", other.path] + ws).status == 0)
        let take = ((try readReport(other))["nodes"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "hook.first_frame" }?["take"] as? Int
        #expect(take == 2, "the other template uses its newest take, not the first template's pick")
    }
}
