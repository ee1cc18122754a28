import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The defects a new user found in an afternoon, each as the user met it: through the built
/// `sceneflow`, in its own workspace.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd)) struct TrustTests {
    static let unboxing = ["samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json"]

    @Test func aRehearsalNeverSatisfiesARealRun() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let keys = ["FAL_KEY": "test-fal-key", "ELEVENLABS_API_KEY": "test-el-key"]
        let rehearsal = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", dir.appendingPathComponent("sim").path] + ws, environment: keys)
        #expect(rehearsal.status == 0, "\(rehearsal.stderr)")
        #expect(try readReport(dir.appendingPathComponent("sim"))["simulated"] as? Bool == true)

        // Providers nobody answers: a real run must try them (and fail), not reuse placeholders.
        let dead = "http://127.0.0.1:\(try unusedPort())"
        var env = keys
        env["SCENEFLOW_FAL_URL"] = dead
        env["SCENEFLOW_ELEVENLABS_URL"] = dead
        let real = try await sceneflow(["run"] + Self.unboxing + ["--retries", "0", "--out", dir.appendingPathComponent("real").path] + ws, environment: env)
        #expect(real.status == 1)
        let report = try readReport(dir.appendingPathComponent("real"))
        #expect(report["simulated"] as? Bool == false)
        let jobs = (report["nodes"] as? [[String: Any]] ?? []).filter { $0["job"] != nil }
        #expect(!jobs.contains { $0["status"] as? String == "cached" || $0["status"] as? String == "succeeded" }, "nothing real was made")
        #expect(jobs.contains { ($0["error"] as? String ?? "").contains("connect") }, "the providers were tried")
        // The real cache holds no placeholder.
        let cache = dir.appendingPathComponent("ws/cache")
        let names = (FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? [])
        #expect(!names.contains { $0.hasSuffix(".sim") && !$0.hasPrefix("simulated/") }, "\(names)")
    }

    @Test func theDiagramNeverOverwritesItsInput() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let template = dir.appendingPathComponent("t.json")
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/unboxing.json"), to: template)
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/assets"), to: dir.appendingPathComponent("assets"))
        let original = try Data(contentsOf: template)
        for (arguments, expected) in [
            (["-o", template.path], "is an input of this command"),
            (["-o", dir.appendingPathComponent("x.jpg").path], "jpg"),
            (["--format", "png", "-o", dir.appendingPathComponent("x.svg").path], "svg"),
        ] {
            let result = try await sceneflow(["graph", template.path] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        #expect(try Data(contentsOf: template) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["assets", "t.json"], "nothing else was written")

        // .gv is Graphviz's other name for DOT, in any case.
        for name in ["g.gv", "g.GV"] {
            let gv = try await sceneflow(["graph", template.path, "-o", dir.appendingPathComponent(name).path])
            let text = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
            #expect(gv.status == 0 && text.contains("digraph"), "\(name): \(gv.stderr)")
        }
        let past = try await sceneflow(["graph", template.path, "--scenes", "2..99"])
        #expect(past.status == 64 && past.stderr.contains("3 scenes"), "\(past.stderr)")
    }

    @Test func jsonEventsAreOneObjectALineFromStartToFinish() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--json", "--workspace", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let events = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not JSON: \($0)") }
        #expect(events.first?["event"] as? String == "run_started")
        #expect(events.last?["event"] as? String == "run_finished")
        #expect(events.filter { $0["event"] as? String == "run_started" }.count == 1)
        let runIDs = Set(events.compactMap { $0["run_id"] as? String })
        #expect(runIDs.count == 1, "every event carries the same run id")
        let finished = try #require(events.last)
        let counts = try #require(finished["counts"] as? [String: Int])
        #expect(counts["made"]! + counts["cached"]! == counts["jobs"]!, "\(counts)")
        #expect(events.filter { $0["event"] as? String == "finished" }.count == counts["made"])
        #expect((finished["report"] as? String).map { FileManager.default.fileExists(atPath: $0) } == true)
    }

    @Test func theRunFolderIsNeverSomethingElse() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let file = dir.appendingPathComponent("notes.txt")
        try Data("mine".utf8).write(to: file)
        let overFile = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", file.path] + ws)
        #expect(overFile.status == 64 && overFile.stderr.contains("notes.txt"), "\(overFile.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8) == "mine")

        let busy = dir.appendingPathComponent("busy")
        try FileManager.default.createDirectory(at: busy, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: busy.appendingPathComponent("keep.txt"))
        let overFolder = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", busy.path] + ws)
        #expect(overFolder.status == 64, "\(overFolder.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: busy.path) == ["keep.txt"])

        // An earlier run's folder is replaced, and the history says which run superseded it.
        let out = dir.appendingPathComponent("out").path
        let first = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", out, "--json"] + ws)
        let second = try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", out, "--json"] + ws)
        #expect(first.status == 0 && second.status == 0)
        let firstID = try #require(first.stdout.split(separator: "\n").first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["run_id"] as? String)
        let secondID = try readReport(URL(fileURLWithPath: out))["run_id"] as? String
        #expect(firstID != secondID)
        let shown = try await sceneflow(["runs", "show", firstID, "--format", "json"] + ws)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains(secondID ?? "?"), "\(shown.stdout)")
    }

    @Test func ambiguousAndUnknownRunIdsAreUsageErrors() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.path]
        for _ in 0..<2 { #expect(try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000"] + ws).status == 0) }
        // Both runs started today: their ids share the date.
        let prefix = String(Date().formatted(.iso8601.year().month().day().dateSeparator(.omitted)))
        let ambiguous = try await sceneflow(["explain", prefix] + ws)
        #expect(ambiguous.status == 64 && ambiguous.stderr.contains("names 2 runs"), "\(ambiguous.stderr)")
        let unknown = try await sceneflow(["runs", "show", "19990101"] + ws)
        #expect(unknown.status == 66, "\(unknown.status) \(unknown.stderr)")
        #expect(unknown.stderr.contains("19990101"))
    }

    @Test func badFlagsNameWhatIsWrong() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.path]
        let zero = try await sceneflow(["run"] + Self.unboxing + ["--limit", "fal=0", "--simulate", "1000"] + ws)
        #expect(zero.status == 64 && zero.stderr.contains("--limit fal") && zero.stderr.contains("\"0\""), "\(zero.stderr)")
        let typo = try await sceneflow(["run"] + Self.unboxing + ["--regenerate", "hok", "--simulate", "1000"] + ws)
        #expect(typo.status == 64 && typo.stderr.contains("did you mean \"hook\"?"), "\(typo.stderr)")
        let target = try await sceneflow(["run"] + Self.unboxing + ["frame", "--simulate", "1000"] + ws)
        #expect(target.status == 64 && target.stderr.contains("did you mean \"frames\"?"), "\(target.stderr)")
        let budget = try await sceneflow(["run"] + Self.unboxing + ["--max-cost", "-3"] + ws)
        #expect(budget.status == 64 && budget.stderr.contains("--max-cost"), "\(budget.stderr)")
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path)) ?? []
        #expect(runs.isEmpty, "nothing ran")
    }

    @Test func aRunOfAnotherTemplateIsNotDrawnOnThisOne() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run").path
        #expect(try await sceneflow(["run"] + Self.unboxing + ["--simulate", "1000", "--out", out, "--workspace", dir.path]).status == 0)
        let other = try await sceneflow(["graph", "samples/testimonial.yaml", "--run", out])
        #expect(other.status == 1 || other.status == 64, "\(other.stderr)")
        #expect(other.stderr.contains("grinder-unboxing") || other.stderr.contains("another template"), "\(other.stderr)")
        let same = try await sceneflow(["graph", "samples/unboxing.json", "--run", out])
        #expect(same.status == 0 && same.stdout.contains("<svg"))
    }

    @Test func budgetsRefuseBeforeSpending() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dead = "http://127.0.0.1:\(try unusedPort())"
        let env = ["FAL_KEY": "k", "ELEVENLABS_API_KEY": "k", "SCENEFLOW_FAL_URL": dead, "SCENEFLOW_ELEVENLABS_URL": dead]
        let refused = try await sceneflow(["run"] + Self.unboxing + ["--max-cost", "0.10", "--workspace", dir.path, "--out", dir.appendingPathComponent("r").path], environment: env)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("above the budget of $0.10") && refused.stderr.contains("nothing was run"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r/run.json").path))
    }
}
