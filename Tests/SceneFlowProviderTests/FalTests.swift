import Foundation
@testable import SceneFlowBasics
import SceneFlowHTTP
@testable import SceneFlowProviders
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// fal's queue API against the loopback server: submit, poll the returned URLs, fetch, download.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd, .ffmpeg)) struct FalTests {
    @Test func imageEditSubmitsDataURIsAndDownloadsTheResult() async throws {
        let server = try await FakeProviders()
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let output = try await FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil).generate(test.job)

        #expect(MediaType.sniff(fileAt: output.file) == .png)
        #expect(output.provider == .fal)
        let submit = try #require(server.requests("fal.submit").first)
        #expect(submit.path == "/fal/fal-ai/kling-image/o1")
        #expect(output.requestID != nil && server.requests("fal.status").allSatisfy { $0.path.contains(output.requestID!) })
        let images = submit.body["image_urls"] as? [String] ?? []
        #expect(images.count == 3 && images.allSatisfy { $0.hasPrefix("data:image/png;base64,") })
        #expect(submit.body["aspect_ratio"] as? String == "9:16")
        // The status URL fal returned drops the model's subpath; a built one would 404.
        #expect(server.requests("fal.unknown").isEmpty)
        #expect(test.journal?.requestID == output.requestID, "kept until the scheduler has stored the output")
    }

    @Test func klingClipSendsStartAndEndFramesAndADurationString() async throws {
        let server = try await FakeProviders()
        let test = try TestJob(model: "fal-ai/kling-video/v2.6/pro/image-to-video", kind: .video, inputs: clipInputs, parameters: ["duration_s": "5"])
        let output = try await FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil).generate(test.job)
        #expect(MediaType.sniff(fileAt: output.file) == .mp4)
        let body = try #require(server.requests("fal.submit").first).body
        #expect(body["duration"] as? String == "5")
        #expect((body["start_image_url"] as? String)?.hasPrefix("data:image/png") == true)
        #expect((body["end_image_url"] as? String)?.hasPrefix("data:image/png") == true)
        #expect(body["generate_audio"] as? Bool == true, "no voice-over input: the model's own sound is wanted")
    }

    @Test func veoFirstLastFrameUsesItsOwnFieldNames() async throws {
        let server = try await FakeProviders()
        let test = try TestJob(model: "fal-ai/veo3.1/first-last-frame-to-video", kind: .video, inputs: clipInputs, parameters: ["duration_s": "4"])
        _ = try await FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil).generate(test.job)
        let body = try #require(server.requests("fal.submit").first).body
        #expect(body["duration"] as? String == "4s")
        #expect(body["first_frame_url"] != nil && body["last_frame_url"] != nil && body["start_image_url"] == nil)
    }

    @Test func submit429IsTransientWithTheServersRetryAfter() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["fal.submit": [
            ["status": 429, "headers": ["Retry-After": "7"], "body": ["detail": "Rate limit exceeded"]],
            ["status": 429, "body": ["detail": "Rate limit exceeded"]],
        ]]])
        let generator = FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil)
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let first = try #require(await failure(of: generator, test.job))
        #expect(first.kind == .transient && first.httpStatus == 429 && first.retryAfter == 7)
        #expect(first.message.contains("Rate limit exceeded"))
        let second = try #require(await failure(of: generator, test.job))
        #expect(second.kind == .transient && second.retryAfter == nil, "no Retry-After: the retry policy's own backoff applies")
        #expect(test.journal == nil, "nothing was submitted, so nothing is journaled")
    }

    @Test func a500OnAStatusPollIsRiddenOut() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["fal.status": [["status": 500, "body": ["detail": "Internal error"]]]]])
        let test = try TestJob(model: "fal-ai/nano-banana/edit", kind: .firstFrame, inputs: frameInputs)
        let output = try await FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil).generate(test.job)
        #expect(MediaType.sniff(fileAt: output.file) == .png)
        #expect(server.requests("fal.submit").count == 1, "the poll failure did not cause a second (paid) submit")
        #expect(server.requests("fal.status").count >= 2)
    }

    /// fal's validation error names the field (`loc`); the job knows which input filled it, so
    /// the failure names that input (the dashboard offers to replace it), and says nothing of the
    /// other inputs or of fields that are not images.
    @Test func a422AboutAnImageNamesTheInputThatFilledIt() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["fal.result": [
            ["status": 422, "body": ["detail": [["loc": ["body", "image_urls", 2], "msg": "Could not load the image", "type": "value_error"]]]],
            ["status": 422, "body": ["detail": [["loc": ["body", "prompt"], "msg": "prompt is too long", "type": "value_error"]]]],
        ]]])
        let generator = FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil)
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let image = try #require(await failure(of: generator, test.job))
        #expect(image.kind == .permanent && image.httpStatus == 422)
        #expect(image.input == "samples/products/grinder/product.png", "image_urls[2] is the third input: \(image.input ?? "none")")
        #expect(image.message.contains("image_urls.2: Could not load the image"), "\(image.message)")
        let prompt = try #require(await failure(of: generator, test.job))
        #expect(prompt.input == nil, "a prompt error blames no input")
    }

    @Test func completedButTheResultIsA422IsPermanentWithFalsDetail() async throws {
        let server = try await FakeProviders()
        // Kling 2.6 takes 5 or 10 s; the job still reaches COMPLETED, and the 422 comes with the result.
        let test = try TestJob(model: "fal-ai/kling-video/v2.6/pro/image-to-video", kind: .video, inputs: clipInputs, parameters: ["duration_s": "7"])
        let error = try #require(await failure(of: FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil), test.job))
        #expect(error.kind == .permanent && error.httpStatus == 422)
        #expect(error.message.contains("duration: duration must be one of '5', '10'"))
        #expect(server.requests("fal.status").last.map { _ in true } == true)
        #expect(test.journal == nil, "a failed job is not resumed")
    }

    @Test func a5xxOnTheResultIsRetriedInPlace() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["fal.result": [["status": 503, "body": ["detail": "upstream unavailable", "error_type": "runner_unavailable"]], ["action": "truncate"]]]])
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let output = try await FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil).generate(test.job)
        #expect(MediaType.sniff(fileAt: output.file) == .png)
        #expect(server.requests("fal.result").count == 3, "503, then a truncated body, then the result")
        #expect(server.requests("fal.submit").count == 1)
    }

    @Test func anExpiredResultForgetsTheJobSoARetrySubmitsAgain() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["fal.result": [["status": 404, "body": ["detail": "Request not found"]]]]])
        let generator = FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil)
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let error = try #require(await failure(of: generator, test.job))
        #expect(error.kind == .transient && error.httpStatus == 404 && error.message.contains("expired"))
        #expect(test.journal == nil)
        _ = try await generator.generate(test.job)
        #expect(server.requests("fal.submit").count == 2)
    }

    @Test func anExpiredMediaURLIsTheSame() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["media": [["status": 410, "body": ["detail": "Gone"]]]]])
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let error = try #require(await failure(of: FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil), test.job))
        #expect(error.httpStatus == 410 && error.message.contains("expired"))
        #expect(test.journal == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: test.job.scratch.path).isEmpty, "no partial download is left")
    }

    @Test func mediaRedirectsAreFollowedWithoutTheKey() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["media": [["status": 302, "headers": ["Location": "/media/moved.png"], "body": ""]]]])
        try server.serve(packageRoot.appendingPathComponent("samples/assets/kitchen.png"), as: "moved.png")
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let output = try await FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil).generate(test.job)
        #expect(try Data(contentsOf: output.file) == Data(contentsOf: packageRoot.appendingPathComponent("samples/assets/kitchen.png")))
        let media = server.requests("media")
        #expect(media.count == 2 && media.last?.path == "/media/moved.png")
        #expect(media.allSatisfy { $0.keysSent.isEmpty }, "a CDN URL never sees the key")
    }

    @Test func aJournaledRequestIsPolledNotSubmittedAgain() async throws {
        let server = try await FakeProviders()
        let generator = FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil)
        // A first process submitted and journaled, then died before collecting the result.
        let first = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        _ = try await generator.generate(first.job)
        let id = try #require(server.requests("fal.status").first?.path.split(separator: "/").dropLast().last.map(String.init))
        let status = server.requests("fal.status").first!.path
        var resumed = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        try resumed.job.journal.write(JournalEntry(provider: .fal, model: "fal-ai/kling-image/o1", requestID: id, statusURL: server.root + status,
                                                   responseURL: server.root + status.replacingOccurrences(of: "/status", with: ""),
                                                   cancelURL: server.root + status.replacingOccurrences(of: "/status", with: "/cancel")))
        resumed.job.attempt = 2
        let output = try await generator.generate(resumed.job)
        #expect(output.requestID == id)
        #expect(server.requests("fal.submit").count == 1, "the journaled request was collected, not paid for again")

        // A journal that cannot be read is never taken for "nothing submitted": the job stops,
        // says what to check, and nothing is submitted again.
        var damaged = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        try FileManager.default.createDirectory(at: damaged.job.journal.file!.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"provider\": \"fal\", \"request_".utf8).write(to: damaged.job.journal.file!)
        damaged.job.attempt = 2
        let error = await failure(of: generator, damaged.job)
        #expect(error?.kind == .permanent && error?.message.contains("may already be submitted and paid for") == true, "\(String(describing: error))")
        #expect(server.requests("fal.submit").count == 1, "no second submit")

    }

    @Test func cancellingAQueuedJobCancelsItOnFal() async throws {
        let server = try await FakeProviders(scenario: ["fal_work_seconds": 600])
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let generator = FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), finisher: nil)
        let task = Task { try await generator.generate(test.job) }
        #expect(await waitUntil(timeout: 120) { !server.requests("fal.status").isEmpty })
        #expect(test.journal?.requestID != nil, "journaled before the first poll")
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let cancel = try #require(server.requests("fal.cancel").first)
        #expect(cancel.method == "PUT" && cancel.path.hasPrefix("/fal/fal-ai/kling-image/requests/"))
        #expect(test.journal == nil, "fal accepted the cancellation: nothing left to collect")
    }

    @Test func aHangingServerTimesOut() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["fal.submit": [["action": "hang", "seconds": 60]]]])
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let error = try #require(await failure(of: FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(timeout: 1), finisher: nil), test.job))
        // The client's own timeout, not the server giving up after 60 s (that is an empty reply).
        #expect(error.kind == .transient && error.message.contains("no complete response within 1 s"))
    }

    @Test func aConnectionResetIsTransient() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["fal.submit": [["action": "reset"]]]])
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        // A client of its own: on a connection reused from another test, libcurl would quietly
        // resend a request whose connection was reset (it takes it for a stale one).
        let error = try #require(await failure(of: FalGenerator(endpoint: endpoint(.fal, server), settings: quickSettings(), http: HTTPClient(), finisher: nil), test.job))
        #expect(error.kind == .transient && error.message.contains("connection"))
    }

    @Test func aWrongKeyIsPermanentAndNeverShown() async throws {
        let server = try await FakeProviders()
        let wrong = ProviderEndpoint(provider: .fal, base: server.falURL, key: "fal-wrong-key-123456")!
        let test = try TestJob(model: "fal-ai/kling-image/o1", kind: .firstFrame, inputs: frameInputs)
        let error = try #require(await failure(of: FalGenerator(endpoint: wrong, settings: quickSettings(), finisher: nil), test.job))
        #expect(error.kind == .permanent && error.httpStatus == 401)
        #expect(!error.description.contains("fal-wrong-key-123456"))
    }
}
