import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

@Suite(.timeLimit(.minutes(2))) struct TakesTests {
    /// Variations: several takes in one run, the node's own the newest; an edited prompt and a
    /// chosen seed make a take under its own key, indexed under the job's, found by later runs.
    @Test func variationsAndAnEditedPromptAreTakesOfTheSameJob() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let cache = FileOutputCache(directory: h.workspace.cacheDirectory)
        let recorder = Recorder()
        let first = await h.scheduler(TestGenerator(recorder: recorder)).run()
        let jobKey = try #require(first.node("hook.first_frame")?.cacheKey.flatMap(CacheKey.init(validating:)))
        var options = RunOptions()
        options.regenerate = ["hook.first_frame"]
        options.variations = 3
        options.prompts = ["hook.first_frame": "Maya, closer, smiling"]
        options.seeds = ["hook.first_frame": 42]
        let varied = await h.scheduler(TestGenerator(recorder: recorder), options: options).run()
        let node = try #require(varied.node("hook.first_frame"))
        #expect(node.take == 4 && node.seed == 42 && node.prompt == "Maya, closer, smiling", "the node's own take is the newest: \(node.take ?? 0)")
        #expect(node.reason?.contains("2 more variations: takes 2…3") == true, "\(node.reason ?? "")")
        let takes = try Takes.all(of: jobKey, in: cache)
        #expect(takes.map(\.take) == [1, 2, 3, 4], "every variation is a take of the job")
        #expect(Set(takes.map(\.key)).count == 4 && takes.allSatisfy { if case .hit = cache.lookup($0.key) { true } else { false } })
        // A later run without --regenerate uses the newest take, found by the key it was made under.
        let later = await h.scheduler(TestGenerator(recorder: recorder)).run()
        #expect(later.node("hook.first_frame")?.take == 4 && later.status(of: "hook.first_frame") == .cached)
        #expect(later.node("hook.first_frame")?.cacheKey == node.cacheKey)
    }

    /// A node never made, regenerated with an edited prompt: its take is 2 (take 1 is the job as
    /// the template has it), later runs find it; every variation is paid for and counted.
    @Test func anEditedFirstTakeIsFoundLaterAndVariationsAreCounted() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        var options = RunOptions()
        options.regenerate = ["hook.first_frame"]
        options.prompts = ["hook.first_frame": "Maya, closer"]
        options.variations = 3
        let generator = TestGenerator(recorder: Recorder(), cost: Money(parsing: "0.30"))
        let made = await h.scheduler(generator, options: options).run()
        let node = try #require(made.node("hook.first_frame"))
        #expect(node.take == 4, "takes 2, 3 and 4: \(node.take ?? 0)")
        #expect(node.cost == Money(parsing: "0.90") && node.attempts == 3, "every variation is paid for and counted: \(String(describing: node.cost)), \(node.attempts)")
        let later = await h.scheduler(TestGenerator(recorder: Recorder())).run()
        #expect(later.status(of: "hook.first_frame") == .cached && later.node("hook.first_frame")?.cacheKey == node.cacheKey)
    }

    @Test func regeneratingKeepsEveryTakeAndAPickIsUsedByLaterRuns() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let cache = FileOutputCache(directory: h.workspace.cacheDirectory)
        func run(regenerate: Set<String> = [], picks: [String: Int] = [:]) async -> RunReport {
            var options = RunOptions()
            options.regenerate = regenerate
            options.picks = picks
            return await h.scheduler(TestGenerator(recorder: Recorder()), options: options).run()
        }
        let first = await run()
        let jobKey = try #require(first.node("hook.first_frame")?.cacheKey)
        let key = try #require(CacheKey(validating: jobKey))
        _ = await run(regenerate: ["hook.first_frame"])
        let third = await run(regenerate: ["hook.first_frame"])
        #expect(third.node("hook.first_frame")?.take == 3)
        #expect(third.node("hook.first_frame")?.jobKey == jobKey)
        let takes = try Takes.all(of: key, in: cache)
        #expect(takes.map(\.take) == [1, 2, 3])
        #expect(Set(takes.map(\.key)).count == 3)
        for take in takes {
            guard case .hit = cache.lookup(take.key) else { Issue.record("take \(take.take) is not in the cache"); continue }
        }

        // Without a pick, the newest take; with one, the picked take, and its descendants follow.
        let newest = await run()
        #expect(newest.node("hook.first_frame")?.take == 3 && newest.status(of: "hook.first_frame") == .cached)
        // A damaged takes index is rebuilt from the cache, not read as "one take".
        let index = cache.directory.appendingPathComponent("\(jobKey.prefix(2))/\(jobKey).takes.json")
        try Data("{\"2\": ".utf8).write(to: index)
        let repaired = await run()
        #expect(repaired.node("hook.first_frame")?.take == 3 && repaired.status(of: "hook.first_frame") == .cached)
        #expect(try cache.takeIndex(key).keys.sorted() == [2, 3], "the index is whole again")
        let picked = await run(picks: [jobKey: 1])
        #expect(picked.node("hook.first_frame")?.take == 1 && picked.status(of: "hook.first_frame") == .cached)
        #expect(picked.node("final.video")?.sha256 == first.node("final.video")?.sha256, "the cut is the first run's again")
        #expect(picked.status(of: "hook.audio") == .cached)
    }

    @Test func aTakeIndexIgnoresWhatItDoesNotUnderstandAndSaysWhenItIsDamaged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-takes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = FileOutputCache(directory: dir)
        let job = CacheKey(validating: String(repeating: "a", count: 64))!, good = CacheKey(validating: String(repeating: "b", count: 64))!
        try cache.recordTake(2, key: good, of: job)
        #expect(try cache.takeIndex(job) == [2: good])
        // A hand-edited index: only well-formed entries count.
        let file = dir.appendingPathComponent("aa/\(job.value).takes.json")
        try Data(#"{"2": "\#(good.value)", "3": "../../etc/passwd", "x": "\#(good.value)", "1": "\#(good.value)"}"#.utf8).write(to: file)
        #expect(try cache.takeIndex(job) == [2: good])
        // A damaged index is never read as "one take".
        try Data("not json".utf8).write(to: file)
        #expect(throws: TakeIndexDamaged.self) { try cache.takeIndex(job) }
    }
}

@Suite(.timeLimit(.minutes(1))) struct ReportRoundTripTests {
    /// A report read back says what it said when written: a reused frame is no job.
    @Test func countsSurviveWritingAndReading() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let folder = h.workspace.runsDirectory.appendingPathComponent("round-trip")
        let report = await h.scheduler(TestGenerator(recorder: Recorder()), runFolder: folder).run()
        #expect(report.counts.reused == 1)
        let read = try LoadedRun.read(folder.path).report
        #expect(read.counts == report.counts, "\(read.counts) vs \(report.counts)")
        #expect(read.models == report.models && !read.models.isEmpty)
    }
}

@Suite(.timeLimit(.minutes(1))) struct UnknownTargetTests {
    @Test func aStageBegunButNotFinishedIsSuggested() throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        #expect(throws: RunSelection.UnknownTarget.self) { try RunSelection.nodes(for: ["fram"], in: h.checked.graph) }
        do { _ = try RunSelection.nodes(for: ["fram"], in: h.checked.graph) } catch {
            #expect(error.description.contains("did you mean \"frames\""), "\(error.description)")
        }
    }
}
