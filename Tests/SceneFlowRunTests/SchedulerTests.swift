import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import Testing

@Suite(.timeLimit(.minutes(3))) struct SchedulerTests {
    @Test func partialFailureBlocksOnlyDependents() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let recorder = Recorder()
        var options = RunOptions()
        options.retry = quickRetries()
        let report = await h.scheduler(TestGenerator(recorder: recorder, failing: ["hook.last_frame"]), options: options).run()
        #expect(report.status == .partial)
        #expect(report.ids(.failed) == ["hook.last_frame"])
        #expect(report.ids(.blocked) == ["hook.video", "demo.first_frame", "demo.video", "final.video"])
        // Independent work finished.
        for id in ["hook.first_frame", "hook.audio", "reaction.first_frame", "reaction.audio", "reaction.video"] {
            #expect(report.status(of: id) == .succeeded, "\(id)")
        }
        let failed = try #require(report.node("hook.last_frame"))
        #expect(failed.attempts == 1, "a permanent failure is not retried")
        #expect(failed.error == "fal: HTTP 422: prompt rejected by the test provider")
        #expect(report.node("demo.video")?.error == "blocked: hook.last_frame failed" || report.node("demo.video")?.error?.hasPrefix("blocked") == true)
        #expect(recorder.calls["hook.video"] == nil && recorder.calls["final.video"] == nil, "blocked nodes never ran")
    }

    @Test func transientFailuresAreRetriedWithTheRequestedDelay() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let recorder = Recorder()
        var options = RunOptions()
        options.retry = quickRetries()
        let delays = DelayLog()
        let start = Date()
        let report = await h.scheduler(TestGenerator(recorder: recorder, flaky: ["hook.first_frame": 2], retryAfter: 0.3), options: options,
                                    events: { if case .retrying(let node, _, let delay, _) = $0 { delays.add(node, delay) } }).run()
        #expect(report.status == .succeeded)
        #expect(report.node("hook.first_frame")?.attempts == 3)
        #expect(recorder.calls["hook.first_frame"] == 3)
        #expect(delays.all == [0.3, 0.3], "the server's requested delay is used as is")
        #expect(Date().timeIntervalSince(start) >= 0.6)
    }

    @Test func retriesGiveUpAfterTheLimit() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        var options = RunOptions()
        options.retry = quickRetries(2)
        let report = await h.scheduler(TestGenerator(recorder: Recorder(), flaky: ["reaction.audio": 10]), options: options).run()
        #expect(report.node("reaction.audio")?.status == .failed)
        #expect(report.node("reaction.audio")?.attempts == 3)
        #expect(report.node("reaction.audio")?.error?.contains("HTTP 429") == true)
        #expect(report.ids(.blocked) == ["reaction.video", "final.video"])
    }

    @Test func limitsHoldUnderLoad() async throws {
        // 30 independent speaking scenes: 30 frames + 30 clips on fal, 30 voices on ElevenLabs.
        let scenes = (0..<30).map { #"{"id": "s\#($0)", "prompt": "Shot \#($0)", "dialogue": "Line \#($0)."}"# }.joined(separator: ",")
        let h = try Harness(template: #"{"schema_version": 1, "id": "load", "scenes": [\#(scenes)]}"#)
        defer { h.cleanup() }
        let recorder = Recorder()
        var options = RunOptions()
        options.limits = RunLimits(concurrency: 5, providerLimits: [.fal: 3, .elevenlabs: 2])
        options.retry = quickRetries()
        // Flaky jobs back off inside their slot: retries must not push past the limits either.
        let flaky = Dictionary(uniqueKeysWithValues: (0..<30).filter { $0 % 3 == 0 }.map { ("s\($0).audio", 2) })
        let report = await h.scheduler(TestGenerator(recorder: recorder, delay: 0.01, flaky: flaky,
                                                                  holdUntilInFlight: (.fal, 3)), options: options).run()
        #expect(report.status == .succeeded, "\(report.stopReason ?? "") \(report.nodes.compactMap(\.error).prefix(3))")
        #expect(recorder.maxInFlight[.fal] == 3, "fal never exceeded, and the limit was reached")
        #expect(recorder.maxInFlight[.elevenlabs] == 2)
        #expect(recorder.maxTotal <= 5)
    }

    @Test func secondRunIsEntirelyCachedAndAnEditRerunsExactlyItsDependents() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let first = await h.scheduler(TestGenerator(recorder: Recorder())).run()
        #expect(first.status == .succeeded)
        let recorder = Recorder()
        let second = await h.scheduler(TestGenerator(recorder: recorder)).run()
        #expect(recorder.calls.isEmpty)
        #expect(second.ids(.cached) == Set(second.nodes.filter { $0.job != nil }.map(\.id)))

        // Edit the reaction's dialogue: its voice, its clip and the final cut rerun; nothing else.
        let text = String(decoding: h.loaded.bytes, as: UTF8.self).replacingOccurrences(of: "Link is below.", with: "Link is in my bio.")
        var edited = h
        edited.loaded = LoadedTemplate.parse(bytes: Array(text.utf8), path: h.loaded.path)
        let editRecorder = Recorder()
        let third = await edited.scheduler(TestGenerator(recorder: editRecorder)).run()
        #expect(editRecorder.generated == ["reaction.audio", "reaction.video", "final.video"])
        #expect(third.node("reaction.audio")?.reason?.contains("dialogue changed") == true)
        #expect(third.node("reaction.video")?.reason?.contains("input reaction.audio changed") == true)
        #expect(third.node("hook.video")?.status == .cached)
    }

    @Test func regenerateRerunsExactlyTheDescendants() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        _ = await h.scheduler(TestGenerator(recorder: Recorder())).run()
        let recorder = Recorder()
        var options = RunOptions()
        options.regenerate = ["hook.last_frame"]
        let report = await h.scheduler(TestGenerator(recorder: recorder), options: options).run()
        #expect(recorder.generated == ["hook.last_frame", "hook.video", "demo.video", "final.video"])
        #expect(report.node("hook.last_frame")?.reason == "take 2, forced by --regenerate")
        #expect(report.node("hook.first_frame")?.status == .cached && report.node("reaction.video")?.status == .cached)
    }

    @Test func failFastStopsEverything() async throws {
        let h = try Harness(sample: "samples/testimonial.yaml")
        defer { h.cleanup() }
        var options = RunOptions()
        options.failFast = true
        options.limits = RunLimits(concurrency: 1)
        let recorder = Recorder()
        let report = await h.scheduler(TestGenerator(recorder: recorder, delay: 0.01, failing: ["intro.first_frame"]), options: options,
                                    assets: ["product_1": "samples/products/grinder/product.png", "brand_logo": "samples/products/grinder/logo.png"]).run()
        #expect(report.status == .failed)
        #expect(report.ids(.failed) == ["intro.first_frame"])
        let generation = report.nodes.filter { $0.job != nil }
        // With one slot, nothing started after the failure: every job that did not run is skipped.
        #expect(recorder.generated.count < generation.count)
        for node in generation where recorder.calls[node.id] == nil {
            #expect(node.status == .skipped || node.status == .blocked, "\(node.id) is \(node.status)")
            #expect(node.error != nil)
        }
    }

    @Test func cancellationStopsJobsInFlight() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let recorder = Recorder()
        // Each job sleeps far longer than any stall of a busy machine: only the cancellation ends it.
        let scheduler = h.scheduler(TestGenerator(recorder: recorder, delay: 300))
        let task = Task { await scheduler.run() }
        // Cancel once a job is really in flight.
        #expect(await waitUntil(timeout: 120) { !recorder.generated.isEmpty })
        task.cancel()
        let report = await task.value
        #expect(report.status == .cancelled)
        #expect(recorder.generated.isSubset(of: Set(recorder.cancelled)), "every job in flight saw the cancellation and stopped")
        #expect(report.nodes.filter { !$0.kind.isInput }.allSatisfy { $0.status == .skipped })
        let folder = try #require(scheduler.folder?.url)
        #expect(try RunReport.read(from: folder.appendingPathComponent("run.json")).status == .cancelled)
    }

    @Test func missingKeysAreNamedBeforeAnythingRuns() throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let graph = h.checked.graph
        #expect(Provider.missingKeys(for: graph.models().map(\.model), environment: [:]) == ["ELEVENLABS_API_KEY", "FAL_KEY"])
        #expect(Provider.missingKeys(for: graph.models().map(\.model), environment: ["FAL_KEY": "k", "ELEVENLABS_API_KEY": "k"]).isEmpty)
        #expect(Provider.missingKeys(for: graph.models(offline: true).map(\.model), environment: [:]).isEmpty)
    }

    @Test func reportFollowsTheContract() async throws {
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let folder = h.workspace.runsDirectory.appendingPathComponent("r1")
        _ = await h.scheduler(TestGenerator(recorder: Recorder()), runFolder: folder).run()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run.json"))) as? [String: Any])
        #expect(object["status"] as? String == "succeeded")
        #expect((object["template"] as? [String: Any])?["id"] as? String == "grinder-unboxing")
        #expect(((object["template"] as? [String: Any])?["sha256"] as? String)?.count == 64)
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        let frame = try #require(nodes.first { $0["id"] as? String == "hook.first_frame" })
        for key in ["kind", "status", "attempts", "model", "provider", "output", "sha256", "started_at", "finished_at", "error"] {
            #expect(frame.keys.contains(key), "\(key)")
        }
        #expect(frame["provider"] as? String == "fal" && frame["model"] as? String == "fal-ai/kling-image/o1")
        let output = try #require(frame["output"] as? String)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(output).path), "output is relative to the run folder")
        #expect(frame["error"] is NSNull)
    }
}

@Suite(.timeLimit(.minutes(2))) struct RetryPolicyTests {
    @Test func fullJitterStaysWithinTheCappedExponential() {
        let policy = RetryPolicy(retries: 10, base: 1, cap: 8)
        let busy = GenerationError(.transient, provider: .fal, httpStatus: 503, message: "busy")
        #expect(policy.delay(after: busy, attempt: 1, random: { 1 }) == 1)
        #expect(policy.delay(after: busy, attempt: 3, random: { 1 }) == 4)
        #expect(policy.delay(after: busy, attempt: 6, random: { 1 }) == 8, "capped")
        #expect(policy.delay(after: busy, attempt: 6, random: { 0 }) == 0, "full jitter reaches zero")
        #expect(policy.delay(after: busy, attempt: 11) == nil, "gives up after the limit")
        #expect(policy.delay(after: GenerationError(.permanent, provider: .fal, message: "bad"), attempt: 1) == nil)
        #expect(policy.delay(after: GenerationError(.transient, provider: .gemini, message: "quota", retryAfter: 45.8), attempt: 1) == 45.8)
    }

    @Test func secretsAreRedacted() {
        let text = "GET https://api.example/v1?key=abc123secret failed; x-goog-api-key: abc123secret; Authorization: Key fal-secret-9"
        let redacted = Redaction.redact(text, environment: ["GEMINI_API_KEY": "abc123secret", "FAL_KEY": "fal-secret-9"])
        #expect(!redacted.contains("abc123secret") && !redacted.contains("fal-secret-9"))
    }
}

final class DelayLog: @unchecked Sendable {
    private let lock = NSLock()
    private var delays: [Double] = []
    func add(_ node: String, _ delay: Double) { lock.lock(); delays.append(delay); lock.unlock() }
    var all: [Double] { lock.lock(); defer { lock.unlock() }; return delays }
}
