import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// Nothing generated or stored is lost, overwritten, or written outside its folder; nothing a
/// user hands over (a FIFO, a path with quotes and percent signs) hangs or breaks a run.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd)) struct DataSafetyTests {
    static let unboxing = ["samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json"]

    /// The cache object a node's output is stored as, found by its metadata.
    func cacheObject(of node: String, in cache: URL) throws -> URL {
        for name in FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? [] where name.hasSuffix(".json") {
            let url = cache.appendingPathComponent(name)
            guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], object["node"] as? String == node,
                  let ext = object["file_extension"] as? String ?? object["extension"] as? String else { continue }
            return url.deletingPathExtension().appendingPathExtension(ext)
        }
        throw TestSupportError("no cache object for \(node) in \(cache.path)")
    }

    @Test func aDamagedCacheObjectIsMadeAgainAndExplained() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        #expect(try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000"] + ws).status == 0)
        let object = try cacheObject(of: "hook.first_frame", in: dir.appendingPathComponent("ws/cache/simulated"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object.path)
        let handle = try FileHandle(forWritingTo: object)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("bit rot".utf8))
        try handle.close()

        let out = dir.appendingPathComponent("again").path
        let second = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", out] + ws)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(statuses(try readReport(URL(fileURLWithPath: out)))["hook.first_frame"] == "succeeded", "made again, not served damaged")
        let explain = try await sceneflow(["explain", out, "hook.first_frame"] + ws)
        #expect(explain.status == 0 && explain.stdout.contains("made again"), "\(explain.stdout)")
        let third = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--json"] + ws)
        #expect(third.stdout.contains("\"made\":0"), "the repaired object serves the next run")
    }

    @Test func aDamagedDeliveredFileIsRestoredByARerun() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let out = dir.appendingPathComponent("ad")
        #expect(try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", out.path] + ws).status == 0)
        let final = out.appendingPathComponent(try #require(readReport(out)["final_video"] as? String))
        let original = try Data(contentsOf: final)
        // The delivered file is a copy: damaging it leaves the cache intact.
        try Data(original.prefix(5)).write(to: final)
        let rerun = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", out.path] + ws)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Data(contentsOf: final) == original)
    }

    @Test func fifosAndDevicesAreRefusedWithoutHanging() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("product.png")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        for arguments in [["--asset", "product_1=\(fifo.path)"], ["--inputs", fifo.path], ["--inputs", "samples/unboxing.inputs.json", "--avatar", "maya=\(fifo.path)"],
                          ["--asset", "product_1=/dev/zero"]] {
            let result = try await sceneflow(["run", "samples/unboxing.json"] + arguments + ["--simulate", "1000"] + ws, timeout: 20)
            #expect(result.status == 1 || result.status == 66, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("not a regular file"), "\(arguments): \(result.stderr)")
        }
        let validate = try await sceneflow(["validate", fifo.path], timeout: 20)
        #expect(validate.status == 66 && validate.stderr.contains("not a regular file"), "\(validate.stderr)")
    }

    @Test func quotesColonsBackslashesAndPercentSignsInPathsAndPrompts() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let odd = dir.appendingPathComponent("it's: a \\ %d folder", isDirectory: true)
        try FileManager.default.createDirectory(at: odd.appendingPathComponent("assets"), withIntermediateDirectories: true)
        for name in ["maya.png", "kitchen.png"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/assets/\(name)"), to: odd.appendingPathComponent("assets/\(name)"))
        }
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/products/grinder/product.png"), to: odd.appendingPathComponent("a%d'x.png"))
        let template = odd.appendingPathComponent("t%s.json")
        try Data(#"""
        {"schema_version": 1, "id": "odd", "aspect_ratio": "9:16",
         "avatars": [{"id": "maya", "image": "assets/maya.png"}], "backgrounds": [{"id": "kitchen", "image": "assets/kitchen.png"}],
         "dependencies": [{"type": "product_image", "asset_key": "product_1", "min": 1, "max": 1}],
         "scenes": [{"id": "s1", "avatar": "maya", "background": "kitchen", "dependencies": ["product_1"], "duration_s": 5,
                     "prompt": "100% real: it's %{localtime} \\ 'quoted' : colon %d %s %n",
                     "dialogue": "It's 100% quiet: %{pts} \\ done."}]}
        """#.utf8).write(to: template)
        let ws = odd.appendingPathComponent("work space")
        let arguments = ["run", template.path, "--asset", "product_1=\(odd.appendingPathComponent("a%d'x.png").path)", "--offline",
                         "--resolution", "240", "--workspace", ws.path]
        let first = try await sceneflow(arguments + ["--out", odd.appendingPathComponent("run 1").path])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try readReport(odd.appendingPathComponent("run 1"))
        let final = odd.appendingPathComponent("run 1").appendingPathComponent(try #require(report["final_video"] as? String))
        #expect(try await Probe(final).duration > 4)
        // Made again from scratch, the frame is the same bytes: nothing in the prompt expanded to the time.
        // (In a workspace of its own: --regenerate would make a new take, a different picture on purpose.)
        var fresh = arguments
        fresh[fresh.count - 1] = odd.appendingPathComponent("other work space").path
        let second = try await sceneflow(fresh + ["--out", odd.appendingPathComponent("run 2").path])
        #expect(second.status == 0, "\(second.stderr)")
        let frame = { (run: String) throws -> String? in
            (try readReport(odd.appendingPathComponent(run))["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == "s1.first_frame" }?["sha256"] as? String
        }
        #expect(try frame("run 1") != nil && frame("run 1") == frame("run 2"))
        #expect(statuses(try readReport(odd.appendingPathComponent("run 2")))["s1.first_frame"] == "succeeded")
    }

    @Test("a signal cancels the run, saves its report and exits 128+N", arguments: [(SIGTERM, Int32(143)), (SIGHUP, Int32(129))])
    func signalsCancelCleanly(_ signal: Int32, _ status: Int32) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = dir.appendingPathComponent("ws")
        let out = dir.appendingPathComponent("run")
        let process = try launchSceneflow(["run"] + Self.unboxing + ["--simulate", "2", "--workspace", ws.path, "--out", out.path])
        // Once the run has started (its report is written before any job runs).
        let exit = await send(signal, to: process, when: { FileManager.default.fileExists(atPath: out.appendingPathComponent("run.json").path) })
        #expect(exit == status)
        let report = try readReport(out)
        #expect(report["status"] as? String == "cancelled")
        let runs = try await sceneflow(["runs", "list", "--format", "json", "--workspace", ws.path])
        #expect(runs.stdout.contains("\"cancelled\""), "\(runs.stdout)")
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: ws.appendingPathComponent("tmp").path)) ?? []
        #expect(scratch.isEmpty, "scratch folders removed: \(scratch)")
    }

    @Test func aKilledRunsScratchIsRemovedByTheNextRun() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = dir.appendingPathComponent("ws")
        let tmp = ws.appendingPathComponent("tmp")
        let process = try launchSceneflow(["run"] + Self.unboxing + ["--simulate", "2", "--workspace", ws.path])
        _ = await send(SIGKILL, to: process, when: { ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).count > 0 })
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []
        #expect(!left.isEmpty, "a killed run leaves its scratch folder")
        #expect(try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--workspace", ws.path]).status == 0)
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [])
        #expect(after.isDisjoint(with: left), "the dead run's scratch is gone: \(after)")
        let runs = try await sceneflow(["runs", "list", "--format", "json", "--workspace", ws.path])
        #expect(!runs.stdout.contains("\"running\""), "the dead run is not shown as running: \(runs.stdout)")
    }

    @Test func productFilesAreCheckedCellByCell() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = packageRoot.appendingPathComponent("samples/products/grinder/product.png").path
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let cases: [(String, String)] = [
            ("product_id,product_1,product_id\np1,\(png),p2\n", "products.csv:1:"),
            // A quoted newline inside a cell: the next row is line 4, and the error says so.
            ("product_id,product_1\n\"p1\",\"\(png)\"\n\"p\n2\",\(png)\n", "products.csv:3:"),
            ("product_id,product_1\np1,\(png)\np1,\(png)\n", "products.csv:3:"),
            ("product_id,product_1\np1,missing.png\n", "products.csv:2:"),
        ]
        for (text, location) in cases {
            let csv = dir.appendingPathComponent("products.csv")
            try Data(text.utf8).write(to: csv)
            let result = try await sceneflow(["batch", "samples/unboxing.json", "--products", csv.path, "--simulate", "1000"] + ws)
            #expect(result.status == 1 && result.stderr.contains(location), "\(text.debugDescription): \(result.stderr)")
        }
        // Spaces around header names are forgiven.
        let csv = dir.appendingPathComponent("products.csv")
        try Data(" product_id , product_1 \np1,\(png)\n".utf8).write(to: csv)
        let spaced = try await sceneflow(["batch", "samples/unboxing.json", "--products", csv.path, "--simulate", "1000"] + ws)
        #expect(spaced.status == 0, "\(spaced.stderr)")
    }

    @Test func storedAssetsAreCheckedReplacedAndRemovedByDigest() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.path]
        let add = { (arguments: [String]) in try await sceneflow(["assets", "add", "--product", "p1"] + arguments + ws) }
        let video = try await add(["product_1", "samples/products/grinder/demo.mp4", "--template", "samples/unboxing.json"])
        #expect(video.status == 1 && video.stderr.contains("image"), "\(video.stderr)")
        let typo = try await add(["product_l", "samples/products/grinder/product.png", "--template", "samples/unboxing.json"])
        #expect(typo.status != 0 && typo.stderr.contains("did you mean \"product_1\"?"), "\(typo.stderr)")
        #expect(try await add(["product_1", "samples/products/grinder/product.png"]).status == 0)
        #expect(try await add(["product_1", "samples/products/grinder/logo.png"]).status == 0)
        var list = try await sceneflow(["assets", "list", "--product", "p1", "--format", "json"] + ws)
        #expect(list.stdout.contains("logo.png") && !list.stdout.contains("product.png"), "replaced by default: \(list.stdout)")
        #expect(try await add(["product_1", "samples/products/grinder/coin.png", "--append"]).status == 0)
        list = try await sceneflow(["assets", "list", "--product", "p1", "--format", "json"] + ws)
        #expect(list.stdout.contains("logo.png") && list.stdout.contains("coin.png"))
        let sha = try await run("sha256sum", [packageRoot.appendingPathComponent("samples/products/grinder/coin.png").path]).stdout.prefix(10)
        let short = try await sceneflow(["assets", "remove", "--product", "p1", "--sha256", String(sha.prefix(4))] + ws)
        #expect(short.status == 64, "fewer than 8 hex digits: \(short.stderr)")
        #expect(try await sceneflow(["assets", "remove", "--product", "p1", "--sha256", String(sha)] + ws).status == 0)
        list = try await sceneflow(["assets", "list", "--product", "p1", "--format", "json"] + ws)
        #expect(list.stdout.contains("logo.png") && !list.stdout.contains("coin.png"), "\(list.stdout)")
    }
}

/// Inputs made to exhaust the program: each is refused quickly with a located message, in
/// bounded memory (the figures are in `sceneflow-bench hostile`).
@Suite(.timeLimit(.minutes(3)), .tags(.endToEnd)) struct HostileInputTests {
    @Test func aWorkspaceThatIsAFileIsAUsageErrorAndTheFileIsUntouched() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("notes.txt")
        try Data("keep me".utf8).write(to: file)
        for arguments in [["runs", "list"], ["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--offline"],
                          ["assets", "list", "--product", "p"], ["takes", "list", "x", "hook.first_frame"]] {
            let result = try await sceneflow(arguments + ["--workspace", file.path], timeout: 60)
            #expect(result.status == 64 && result.stderr.contains("is a file, not a folder"), "\(arguments): \(result.status) \(result.stderr)")
        }
        #expect(try Data(contentsOf: file) == Data("keep me".utf8))
    }

    @Test func aFileOverTheSizeLimitIsRefusedWithoutReadingIt() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("huge.json")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("{".utf8)))
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 200 << 20)  // sparse: 200 MB that take no disk
        try handle.close()
        for command in ["validate", "plan", "graph"] {
            let result = try await sceneflow([command, file.path], timeout: 30)
            #expect(result.status == 66, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("it is 200 MB; the limit is 128 MB"), "\(command): \(result.stderr)")
        }
    }

    @Test func overlongTextsAndIdsAreRefusedWhereTheyStand() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompt = String(repeating: "word ", count: 200_000)
        let id = String(repeating: "a", count: 1 << 20)
        let cases: [(String, String, String)] = [
            (#"{"schema_version": 1, "id": "t", "scenes": [{"id": "a", "speaking": false, "prompt": "\#(prompt)"}]}"#, "scenes[0].prompt", "may be at most 10000"),
            (#"{"schema_version": 1, "id": "t", "scenes": [{"id": "\#(id)", "speaking": false, "prompt": "p"}]}"#, "scenes[0].id", "scene id"),
        ]
        for (n, (text, path, message)) in cases.enumerated() {
            let file = dir.appendingPathComponent("t\(n).json")
            try Data(text.utf8).write(to: file)
            let result = try await sceneflow(["validate", file.path], timeout: 30)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("(at \(path))") || result.stdout.contains("(at \(path))"), "\(result.stdout.prefix(300))")
            #expect((result.stdout + result.stderr).contains(message))
            #expect(result.stdout.utf8.count + result.stderr.utf8.count < 4_000, "the value is not echoed back whole")
        }
    }
}
