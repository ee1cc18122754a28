import Foundation
@testable import SceneFlowBasics
import SceneFlowHTTP
@testable import SceneFlowProviders
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// Gemini image editing and Veo through the Gemini API, against the loopback server.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct GeminiImageTests {
    @Test func imagesGoInAndComeBackAsInlineBase64() async throws {
        let server = try await FakeProviders()
        let test = try TestJob(model: "gemini-2.5-flash-image", kind: .firstFrame, inputs: frameInputs)
        let output = try await GeminiImageGenerator(endpoint: endpoint(.gemini, server), settings: quickSettings()).generate(test.job)
        #expect(MediaType.sniff(fileAt: output.file) == .png)
        #expect(output.requestID?.isEmpty == false, "the responseId is the provenance")
        let request = try #require(server.requests("gemini.generate").first)
        #expect(request.path == "/google/v1beta/models/gemini-2.5-flash-image:generateContent")
        #expect(request.googleKey == FakeProviders.keys["GEMINI_API_KEY"])
        let parts = ((request.body["contents"] as? [[String: Any]])?.first?["parts"] as? [[String: Any]]) ?? []
        #expect(parts.filter { $0["inlineData"] != nil }.count == 3)
        #expect(((request.body["generationConfig"] as? [String: Any])?["imageConfig"] as? [String: Any])?["aspectRatio"] as? String == "9:16")
    }

    @Test func a200WithoutAnImageFailsWithItsFinishReason() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["gemini.generate": [
            ["status": 200, "body": ["candidates": [["content": ["parts": [["text": "I can't edit that image."]]], "finishReason": "NO_IMAGE"]]]],
            ["status": 200, "body": ["candidates": [["finishReason": "IMAGE_SAFETY", "finishMessage": "The image was blocked."]]]],
        ]]])
        let generator = GeminiImageGenerator(endpoint: endpoint(.gemini, server), settings: quickSettings())
        let test = try TestJob(model: "gemini-2.5-flash-image", kind: .firstFrame, inputs: frameInputs)
        let noImage = try #require(await failure(of: generator, test.job))
        #expect(noImage.message.contains("finishReason NO_IMAGE") && noImage.message.contains("I can't edit that image."))
        #expect(noImage.kind == .transient, "NO_IMAGE can go the other way on a retry")
        let refused = try #require(await failure(of: generator, test.job))
        #expect(refused.message.contains("IMAGE_SAFETY") && refused.message.contains("The image was blocked."))
        #expect(refused.kind == .permanent, "a safety refusal will be refused again")
        #expect(try FileManager.default.contentsOfDirectory(atPath: test.job.scratch.path).isEmpty)
    }

    @Test func a429sRetryDelayIsHonouredAndADailyQuotaIsNotRetried() async throws {
        func quota(_ id: String, delay: String?) -> [String: Any] {
            var details: [[String: Any]] = [["@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [["quotaId": id]]]]
            if let delay { details.append(["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay]) }
            return ["status": 429, "body": ["error": ["code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED", "details": details]]]
        }
        let server = try await FakeProviders(scenario: ["faults": ["gemini.generate": [
            quota("GenerateRequestsPerMinutePerProjectPerModel", delay: "45.8s"),
            quota("GenerateRequestsPerDayPerProjectPerModel", delay: "3600s"),
        ]]])
        let generator = GeminiImageGenerator(endpoint: endpoint(.gemini, server), settings: quickSettings())
        let test = try TestJob(model: "gemini-2.5-flash-image", kind: .firstFrame, inputs: frameInputs)
        let perMinute = try #require(await failure(of: generator, test.job))
        #expect(perMinute.kind == .transient && perMinute.retryAfter == 45.8)
        let daily = try #require(await failure(of: generator, test.job))
        #expect(daily.kind == .permanent && daily.retryAfter == nil && daily.message.contains("daily quota"))
    }

    @Test func aTruncatedBodyIsTransient() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["gemini.generate": [["action": "truncate"]]]])
        let test = try TestJob(model: "gemini-2.5-flash-image", kind: .firstFrame, inputs: frameInputs)
        let error = try #require(await failure(of: GeminiImageGenerator(endpoint: endpoint(.gemini, server), settings: quickSettings()), test.job))
        #expect(error.kind == .transient && error.message.contains("truncated"))
    }
}

@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd, .ffmpeg)) struct VeoTests {
    @Test func operationIsPolledAndTheVideoDownloadedWithoutLeakingTheKey() async throws {
        let server = try await FakeProviders()
        let test = try TestJob(model: "veo-3.1-generate-preview", kind: .video, inputs: clipInputs, parameters: ["duration_s": "4"])
        let output = try await VeoGenerator(endpoint: endpoint(.veo, server), settings: quickSettings(), finisher: nil).generate(test.job)
        #expect(MediaType.sniff(fileAt: output.file) == .mp4)
        #expect(output.requestID?.hasPrefix("models/veo-3.1-generate-preview/operations/") == true)
        let submit = try #require(server.requests("veo.submit").first)
        let instance = try #require((submit.body["instances"] as? [[String: Any]])?.first)
        #expect(instance["image"] != nil && instance["lastFrame"] != nil, "Veo 3.1 takes the last frame")
        #expect((submit.body["parameters"] as? [String: Any])?["durationSeconds"] as? Int == 4)
        // The download is authenticated; the media URL it redirects to gets no key.
        #expect(server.requests("veo.download").allSatisfy { $0.googleKey == FakeProviders.keys["GEMINI_API_KEY"] })
        let media = server.requests("media")
        #expect(!media.isEmpty && media.allSatisfy { $0.keysSent.isEmpty })
        #expect(test.journal?.operation == output.requestID, "kept until the scheduler has stored the output")
    }

    @Test func aSafetyFilteredOperationIsAClearPermanentFailure() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["veo.poll": [["status": 200, "body": [
            "name": "models/veo-3.1-generate-preview/operations/x", "done": true,
            "response": ["generateVideoResponse": ["raiMediaFilteredCount": 1,
                                                   "raiMediaFilteredReasons": ["The video could not be generated because it may violate our policies."]]],
        ]]]]])
        let test = try TestJob(model: "veo-3.1-generate-preview", kind: .video, inputs: clipInputs, parameters: ["duration_s": "4"])
        let error = try #require(await failure(of: VeoGenerator(endpoint: endpoint(.veo, server), settings: quickSettings(), finisher: nil), test.job))
        #expect(error.kind == .permanent && error.message.contains("safety filters") && error.message.contains("violate our policies"))
        #expect(test.journal == nil)
    }

    @Test func aFailedOperationCarriesGooglesMessage() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["veo.poll": [["status": 200, "body": [
            "name": "models/veo-3.1-generate-preview/operations/x", "done": true, "error": ["code": 3, "message": "Image aspect ratio is not supported."],
        ]]]]])
        let test = try TestJob(model: "veo-3.1-generate-preview", kind: .video, inputs: clipInputs, parameters: ["duration_s": "4"])
        let error = try #require(await failure(of: VeoGenerator(endpoint: endpoint(.veo, server), settings: quickSettings(), finisher: nil), test.job))
        #expect(error.kind == .permanent && error.message.contains("Image aspect ratio is not supported."))
    }
}

@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd, .ffmpeg)) struct ElevenLabsTests {
    @Test func speechUsesTheVoiceAndModelAndReportsItsCost() async throws {
        let server = try await FakeProviders()
        let test = try TestJob(model: "elevenlabs/eleven_multilingual_v2", kind: .audio,
                               parameters: ["voice": "pNInz6obpgDQGcFmaJgB", "dialogue": "Okay, I was not expecting this.", "duration_s": "5"])
        let output = try await ElevenLabsGenerator(endpoint: endpoint(.elevenlabs, server), settings: quickSettings()).generate(test.job)
        #expect(RemoteMedia.isAudio([UInt8](try Data(contentsOf: output.file).prefix(4))))
        let request = try #require(server.requests("eleven.tts").first)
        #expect(request.path == "/eleven/v1/text-to-speech/pNInz6obpgDQGcFmaJgB/with-timestamps?output_format=mp3_44100_128")
        #expect(request.body["model_id"] as? String == "eleven_multilingual_v2")
        #expect(request.body["text"] as? String == "Okay, I was not expecting this.")
        #expect(output.requestID != nil)
        // 31 characters at $0.30 per 1,000.
        #expect(output.cost == Money(dollars: 0.0093))
        // The alignment's words, in the dialogue's order, each from its first character's start
        // to its last's end: the fake speaks 15 characters a second, evenly.
        let words = try #require(output.words)
        #expect(words.map(\.text) == ["Okay,", "I", "was", "not", "expecting", "this."])
        #expect(abs(words[0].start) < 0.001 && abs(words[0].end - 5.0 / 15) < 0.002)
        #expect(abs(words[5].start - 26.0 / 15) < 0.002 && abs(words[5].end - 31.0 / 15) < 0.002)
        #expect(zip(words, words.dropFirst()).allSatisfy { $0.end <= $1.start })
    }

    @Test func anAlignmentThatDoesNotAddUpIsDroppedAndTheSpeechKept() async throws {
        let server = try await FakeProviders(scenario: ["eleven_alignment": "mismatched"])
        let test = try TestJob(model: "elevenlabs/eleven_multilingual_v2", kind: .audio, parameters: ["dialogue": "Hello there."])
        let output = try await ElevenLabsGenerator(endpoint: endpoint(.elevenlabs, server), settings: quickSettings()).generate(test.job)
        #expect(output.words == nil)
        #expect(RemoteMedia.isAudio([UInt8](try Data(contentsOf: output.file).prefix(4))))
    }

    @Test func base64ThatIsNotAudioFailsTheJob() async throws {
        let server = try await FakeProviders(scenario: ["eleven_alignment": "text-audio"])
        let test = try TestJob(model: "elevenlabs/eleven_multilingual_v2", kind: .audio, parameters: ["dialogue": "Hello there."])
        let error = try #require(await failure(of: ElevenLabsGenerator(endpoint: endpoint(.elevenlabs, server), settings: quickSettings()), test.job))
        #expect(error.provider == .elevenlabs && error.message.contains("audio"), "\(error)")
    }

    @Test func anAnswerThatIsNotTheDocumentedJSONIsAClearError() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["eleven.tts": [["status": 200, "body": ["audio": "nope"]]]]])
        let test = try TestJob(model: "elevenlabs/eleven_multilingual_v2", kind: .audio, parameters: ["dialogue": "Hello there."])
        let error = try #require(await failure(of: ElevenLabsGenerator(endpoint: endpoint(.elevenlabs, server), settings: quickSettings()), test.job))
        #expect(error.message.contains("audio_base64"), "\(error)")
    }

    @Test func withoutAVoiceTheRegistryDefaultSpeaks() async throws {
        let server = try await FakeProviders()
        let test = try TestJob(model: "elevenlabs/eleven_flash_v2_5", kind: .audio, parameters: ["dialogue": "Hi."])
        _ = try await ElevenLabsGenerator(endpoint: endpoint(.elevenlabs, server), settings: quickSettings()).generate(test.job)
        #expect(server.requests("eleven.tts").first?.path.contains("/text-to-speech/21m00Tcm4TlvDq8ikWAM/with-timestamps?") == true)
    }

    @Test func tooManyConcurrentRequestsQueuesClientSideAndSystemBusyBacksOff() async throws {
        let server = try await FakeProviders(scenario: ["faults": ["eleven.tts": [
            ["status": 429, "headers": ["maximum-concurrent-requests": "2"],
             "body": ["detail": ["status": "too_many_concurrent_requests", "message": "Too many concurrent requests"]]],
            ["status": 429, "body": ["detail": ["status": "system_busy", "message": "The system is busy"]]],
        ]]])
        let generator = ElevenLabsGenerator(endpoint: endpoint(.elevenlabs, server), settings: quickSettings())
        let test = try TestJob(model: "elevenlabs/eleven_multilingual_v2", kind: .audio, parameters: ["dialogue": "Hello there."])
        let concurrent = try #require(await failure(of: generator, test.job))
        #expect(concurrent.kind == .transient && concurrent.message.contains("too_many_concurrent_requests") && concurrent.message.contains("at most 2"))
        #expect(await generator.gate.limit == 2)
        let busy = try #require(await failure(of: generator, test.job))
        #expect(busy.kind == .transient && busy.message.contains("system_busy") && busy.retryAfter == nil)
        #expect(await generator.gate.limit == 2, "system_busy is their overload, not our concurrency")
        _ = try await generator.generate(test.job)
    }
}
