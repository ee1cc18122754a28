import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import Synchronization
import Testing

/// The run engine's parts, each alone: the schedule (a plain value), the attempt runner with a
/// scripted clock, the recorder on partial and cancelled runs, the cache's verification.
@Suite(.timeLimit(.minutes(2))) struct ScheduleTests {
    /// a → b → d, a → c → d; e alone.
    func diamond(limits: RunLimits = RunLimits(concurrency: 8), priority: [Double] = [5, 4, 1, 0, 2], selected: [Bool]? = nil) -> Schedule {
        Schedule(successors: Adjacency([[1, 2], [3], [3], [], []]), predecessors: Adjacency([[], [0], [0], [1, 2], []]), priority: priority, limits: limits, selected: selected)
    }

    @Test func readyNodesComeMostUrgentFirstAndDependentsWait() {
        var s = diamond()
        #expect(s.nextReady() == 0, "priority 5 before e's 2")
        #expect(s.nextReady() == 4)
        #expect(s.nextReady() == nil, "b, c and d wait for a")
        s.end(0, .succeeded)
        #expect([s.nextReady(), s.nextReady()] == [1, 2])
        s.end(1, .cached)
        #expect(s.nextReady() == nil, "d still waits for c")
        s.end(2, .succeeded)
        #expect(s.nextReady() == 3)
    }

    @Test func limitsHoldPerProviderAndOverall() {
        var s = Schedule(successors: Adjacency(Array(repeating: [Int](), count: 6)), predecessors: Adjacency(Array(repeating: [Int](), count: 6)), priority: Array(repeating: 0, count: 6),
                         limits: RunLimits(concurrency: 3, providerLimits: [.fal: 2]))
        for i in 0..<4 { _ = s.nextReady(); s.enqueue(i, on: .fal) }
        for i in 4..<6 { _ = s.nextReady(); s.enqueue(i, on: .elevenlabs) }
        var started: [Int] = []
        while let i = s.nextStart() { started.append(i) }
        #expect(started.count == 3 && started.filter { $0 < 4 }.count == 2, "two on fal, three in all: \(started)")
        s.end(started[0], .succeeded)
        #expect(s.nextStart() != nil, "a slot freed, a job starts")
        #expect(s.inFlight == 3)
    }

    @Test func aFailureBlocksExactlyItsPendingDescendants() {
        var s = diamond()
        _ = s.nextReady(); _ = s.nextReady()
        s.end(0, .succeeded)
        _ = s.nextReady(); _ = s.nextReady()
        let blocked = s.end(1, .failed)
        #expect(blocked == [3])
        #expect(s.status[2] == .pending && s.status[4] == .pending, "independent work goes on")
        s.end(2, .succeeded); s.end(4, .succeeded)
        #expect(s.open == 0 && s.nextReady() == nil)
    }

    @Test func unselectedNodesAreSkippedFromTheStartAndStopSkipsTheRest() {
        var s = diamond(selected: [true, true, false, false, false])
        #expect(s.status == [.pending, .pending, .skipped, .skipped, .skipped])
        #expect(s.open == 2)
        _ = s.nextReady()
        let skipped = s.stop()
        #expect(skipped == [0, 1] && s.open == 0)
    }
}

@Suite(.timeLimit(.minutes(2))) struct AttemptRunnerTests {
    struct Flaky: Generator {
        let failures: Int
        let attempts = Counter()
        func generate(_ job: Job) async throws -> GeneratedOutput {
            let n = attempts.increment()
            if n <= failures { throw GenerationError(.transient, provider: .fal, httpStatus: 503, message: "busy", retryAfter: n == 1 ? 7 : nil) }
            let file = job.scratch.appendingPathComponent("out.bin")
            try Data("made".utf8).write(to: file)
            return GeneratedOutput(file: file, provider: .fal)
        }
    }

    func job() throws -> Job {
        let scratch = try temporaryDirectory()
        let model = ModelRegistry.standard["fal-ai/kling-image/o1"]!
        return Job(node: "hook.first_frame", model: model, work: .frame(FrameWork(kind: .firstFrame, prompt: "p", aspectRatio: .portrait, images: [])),
                   scratch: scratch.appendingPathComponent("s"))
    }

    @Test func retriesWaitTheServersDelayThenBackOffOnAScriptedClock() async throws {
        let slept = Recording<Double>()
        let runner = AttemptRunner(retry: RetryPolicy(retries: 3, base: 1, cap: 60), sleep: { slept.append($0) })
        let outcome = await runner.run(try job(), generator: Flaky(failures: 2)) { output, _ in StoredOutput(url: output.file, metadata: .init(key: "k", node: "n", model: "m", provider: .fal, sha256: "s", fileExtension: "bin")) }
        guard case .made(_, let log, _) = outcome else { Issue.record("made after retries: \(outcome)"); return }
        #expect(log.count == 3)
        #expect(log.dropLast().allSatisfy { $0.error?.contains("503") == true } && log.last?.error == nil, "each attempt's failure is kept: \(log)")
        #expect(zip(log, log.dropFirst()).allSatisfy { $0.startedAt <= $1.startedAt })
        #expect(slept.values.count == 2 && slept.values[0] == 7, "the first wait is what the server asked for")
        #expect(slept.values[1] >= 0 && slept.values[1] <= 2, "then capped exponential backoff with jitter")
    }

    @Test func givingUpAfterTheLimitIsAFailureWithTheLastError() async throws {
        let runner = AttemptRunner(retry: RetryPolicy(retries: 1), sleep: { _ in })
        let outcome = await runner.run(try job(), generator: Flaky(failures: 5)) { _, _ in throw RunError("never stored") }
        guard case .failed(let error, let log) = outcome else { Issue.record("failed: \(outcome)"); return }
        #expect(log.count == 2 && error.httpStatus == 503 && log.allSatisfy { $0.error != nil })
    }

    @Test func aFailureToStoreIsAFailureOfTheJob() async throws {
        let runner = AttemptRunner(retry: RetryPolicy(retries: 0), sleep: { _ in })
        let outcome = await runner.run(try job(), generator: Flaky(failures: 0)) { _, _ in throw AtomicFile.WriteError(path: "/x", reason: "No space left on device") }
        guard case .failed(let error, _) = outcome else { Issue.record("failed: \(outcome)"); return }
        #expect(error.message.contains("No space left on device"))
    }

    @Test func cancellationDuringTheWaitEndsTheJob() async throws {
        let runner = AttemptRunner(retry: RetryPolicy(retries: 3), sleep: { _ in throw CancellationError() })
        let outcome = await runner.run(try job(), generator: Flaky(failures: 5)) { _, _ in throw RunError("never") }
        guard case .cancelled = outcome else { Issue.record("cancelled: \(outcome)"); return }
    }
}

@Suite(.timeLimit(.minutes(2))) struct RunRecorderTests {
    func recorder(folder: URL? = nil) throws -> RunRecorder {
        let checked = CheckedTemplate(try LoadedTemplate.load(path: packageRoot.appendingPathComponent("samples/unboxing.json").path))!
        return RunRecorder(runID: "r1", template: checked.reference, graph: checked.graph, folder: folder.map(RunFolder.init), indexDirectory: nil)
    }

    @Test func aPartialRunCountsJobsAndSaysWhatFailed() throws {
        var r = try recorder()
        let graph = r.graph
        for (i, node) in graph.nodes.enumerated() {
            if node.kind.isInput { r.done(i, .succeeded, reason: "input") }
            else if node.id == "hook.audio" { r.fail(i, message: "elevenlabs: HTTP 500: boom", attempts: 3) }
            else if node.id == "hook.video" || node.id == "final.video" { r.block(i, by: graph.indexByID["hook.audio"]!) }
            else if node.reuses { r.reuse(i, of: graph.source(ofReuse: i)!) }
            else { r.done(i, .succeeded, reason: "made") }
        }
        let report = r.report(finished: true)
        #expect(report.status == .partial)
        #expect(report.counts.jobs == 9 && report.counts.failed == 1 && report.counts.blocked == 2 && report.counts.made == 6)
        #expect(report.counts.inputs == 3 && report.counts.reused == 1, "inputs and reused frames are not counted as jobs")
        #expect(report.node("hook.video")?.error == "blocked: hook.audio failed")
        #expect(report.finalVideo == nil)
    }

    @Test func aCancelledRunSaysSoAndAFailedWriteFailsTheRun() throws {
        let folder = try temporaryDirectory()
        var r = try recorder(folder: folder.appendingPathComponent("missing-parent/run"))
        r.stopReason = "cancelled"
        #expect(r.report(finished: true, cancelled: true).status == .cancelled)
        r.write(r.report(finished: false))
        #expect(r.writeFailure != nil, "the run folder was never created: the write fails, and says so")
        #expect(r.report(finished: true).status == .failed)
    }
}

@Suite(.timeLimit(.minutes(2))) struct OutputCacheTests {
    func stored(_ cache: FileOutputCache, _ folder: URL, content: String = "frame bytes") throws -> StoredOutput {
        let file = folder.appendingPathComponent("out-\(UUID().uuidString).png")
        try Data(content.utf8).write(to: file)
        return try cache.store(CacheKey(validating: "ab" + String(repeating: "c", count: 62))!, file: file,
                               metadata: OutputMetadata(key: "ab" + String(repeating: "c", count: 62), node: "n", model: "m", provider: .local,
                                                        sha256: Digest.sha256(content), fileExtension: "png"))
    }

    @Test func aDamagedEntryIsNeverAHit() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = FileOutputCache(directory: folder.appendingPathComponent("cache"))
        let entry = try stored(cache, folder)
        guard case .hit = cache.lookup(CacheKey(validating: entry.metadata.key)!) else { Issue.record("a fresh entry is a hit"); return }
        #expect(!FileManager.default.isWritableFile(atPath: entry.url.path) || getuid() == 0, "stored read-only")
        // Truncated in place (as root can, whatever the mode).
        chmod(entry.url.path, 0o644)
        let handle = try FileHandle(forWritingTo: entry.url)
        try handle.truncate(atOffset: 3)
        try handle.close()
        guard case .damaged(let reason) = cache.lookup(CacheKey(validating: entry.metadata.key)!) else { Issue.record("a truncated entry is damaged"); return }
        #expect(reason.contains("changed on disk"))
    }

    @Test func theSameSizeAndTimeWithOtherBytesIsCaughtByTheDigestWhenTheTimeMoves() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = FileOutputCache(directory: folder.appendingPathComponent("cache"))
        let entry = try stored(cache, folder)
        chmod(entry.url.path, 0o644)
        try Data("FRAME BYTES".utf8).write(to: entry.url)   // same size, new time
        guard case .damaged = cache.lookup(CacheKey(validating: entry.metadata.key)!) else { Issue.record("other bytes are damaged"); return }
        try Data("frame bytes".utf8).write(to: entry.url)   // the right bytes again, new time: the digest says it is fine
        guard case .hit = cache.lookup(CacheKey(validating: entry.metadata.key)!) else { Issue.record("the right bytes are a hit"); return }
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}

final class Recording<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var values: [T] { items.withLock { $0 } }
}
