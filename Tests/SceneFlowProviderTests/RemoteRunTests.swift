import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// `sceneflow run` end to end against the loopback providers, as a user runs it: keys and base
/// URLs in the environment, the built binary, real HTTP.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd, .ffmpeg)) struct RemoteRunTests {
    static let samples: [(template: String, inputs: String)] = [
        ("samples/unboxing.json", "samples/unboxing.inputs.json"),
        ("samples/testimonial.yaml", "samples/testimonial.inputs.json"),
        ("samples/product-only.json", "samples/product-only.inputs.json"),
    ]

    @Test(arguments: samples.map(\.template))
    func eachSampleHydratesEndToEndAndNoKeyLeaks(template: String) async throws {
        let inputs = Self.samples.first { $0.template == template }!.inputs
        let server = try await FakeProviders()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await sceneflow(["run", template, "--inputs", inputs, "--resolution", "240",
                                    "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("run").path],
                                   environment: server.environment)
        #expect(result.status == 0, "\(result.stderr)")

        // Every generation ran on its remote provider, with the provider's request id recorded.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run/run.json"))) as? [String: Any])
        let nodes = report["nodes"] as? [[String: Any]] ?? []
        let remote = nodes.filter { ["fal", "gemini", "veo", "elevenlabs"].contains($0["provider"] as? String ?? "") }
        #expect(!remote.isEmpty)
        for node in remote {
            #expect(node["status"] as? String == "succeeded", "\(node)")
            #expect((node["request_id"] as? String)?.isEmpty == false, "\(node["id"] ?? "") has no provider request id")
            #expect(((node["cost"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(node["id"] ?? "") has no cost")
            // ElevenLabs reports its cost (character-cost); fal's queue reports none, so that is the registry's estimate.
            let reported = node["provider"] as? String == "elevenlabs"
            if node["provider"] as? String == "fal" { #expect(node["cost_estimated"] as? Bool == true) }
            if reported { #expect(node["cost_estimated"] == nil) }
        }
        #expect(((report["cost"] as? NSNumber)?.doubleValue ?? 0) > 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/final.mp4").path))
        let journal = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("ws/journal").path)) ?? []
        #expect(journal.isEmpty, "every stored output's journal entry is gone: \(journal)")

        // Keys: each only to its own provider's base URL, never to media URLs.
        let prefixes = ["FAL_KEY": "/fal/", "GEMINI_API_KEY": "/google/", "ELEVENLABS_API_KEY": "/eleven/"]
        for request in server.requests() {
            for sent in request.keysSent {
                let variable = FakeProviders.keys.first { $0.value == sent }?.key ?? "an unknown key"
                #expect(prefixes[variable].map { request.path.hasPrefix($0) } == true, "\(variable) was sent to \(request.path)")
            }
        }
        #expect(server.requests("media").allSatisfy { $0.keysSent.isEmpty })

        // ... and never in anything the run wrote or printed.
        var written: [URL] = []
        for root in [dir.appendingPathComponent("ws"), dir.appendingPathComponent("run")] {
            let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])?.allObjects as? [URL] ?? []
            written += files.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        }
        #expect(written.count > 10)
        for key in FakeProviders.keys.values {
            let needle = Data(key.utf8)
            for file in written {
                #expect(try Data(contentsOf: file).range(of: needle) == nil, "\(file.lastPathComponent) contains a key")
            }
            #expect(!result.stdout.contains(key) && !result.stderr.contains(key))
        }
    }

    /// Remote voice-overs time the captions by ElevenLabs' character alignment: each speaking
    /// scene's cues run from its first word's start to just after its last word's end (the fake speaks 15
    /// characters a second), in the dialogue's words and order, burned into the cut on request.
    @Test func remoteVoiceOversTimeTheCaptionsByTheirAlignment() async throws {
        let server = try await FakeProviders()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--resolution", "240",
                                          "--captions", "burn", "--workspace", dir.appendingPathComponent("ws").path,
                                          "--out", dir.appendingPathComponent("run").path], environment: server.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let run = dir.appendingPathComponent("run")
        let template = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "samples/unboxing.json"))) as? [String: Any])
        let dialogue = Dictionary(uniqueKeysWithValues: (template["scenes"] as? [[String: Any]] ?? []).compactMap { scene in
            (scene["dialogue"] as? String).map { (scene["id"] as? String ?? "", $0) }
        })
        let timeline = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("timeline.json"))) as? [String: Any])
        let cues = SubRip.cues(try String(contentsOf: run.appendingPathComponent("captions.srt"), encoding: .utf8))
        var seen = 0
        for clip in timeline["clips"] as? [[String: Any]] ?? [] {
            let start = (clip["start"] as? NSNumber)?.doubleValue ?? .nan, end = (clip["end"] as? NSNumber)?.doubleValue ?? .nan
            let inside = cues.filter { $0.start >= start - 0.001 && $0.end <= end + 0.001 }
            guard let text = dialogue[clip["scene"] as? String ?? ""], clip["speaking"] as? Bool == true else {
                #expect(inside.isEmpty, "a silent scene has no cue")
                continue
            }
            seen += inside.count
            #expect(inside.map(\.text).joined(separator: " ") == text.split(separator: " ").joined(separator: " "))
            #expect(abs((inside.first?.start ?? .nan) - start) < 0.002, "the first word starts with the scene")
            // The fake speaks 1 to 20 s; the last cue lingers 0.4 s after the last word, within the scene.
            let shown = min(max(1, min(20, Double(text.count) / 15)) + 0.4, end - start)
            #expect(abs((inside.last?.end ?? .nan) - (start + shown)) < 0.002, "the last cue ends 0.4 s after the last word, \(shown) s in")
        }
        #expect(seen == cues.count && seen > 0, "every cue lies inside a speaking scene")

        // A second run reuses the voice-overs from the cache, their words' times with them.
        let requests = server.requests("eleven.tts").count
        let again = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--resolution", "240",
                                         "--captions", "burn", "--workspace", dir.appendingPathComponent("ws").path,
                                         "--out", dir.appendingPathComponent("again").path], environment: server.environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(server.requests("eleven.tts").count == requests)
        #expect(try Data(contentsOf: dir.appendingPathComponent("again/captions.srt")) == Data(contentsOf: run.appendingPathComponent("captions.srt")))
    }

    @Test func framesFirstSendsNoClipOrVoiceRequest() async throws {
        let server = try await FakeProviders()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await sceneflow(["run", "samples/unboxing.json", "frames", "--inputs", "samples/unboxing.inputs.json",
                                          "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("run").path],
                                         environment: server.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let requests = server.requests()
        let submitted = requests.filter { $0.method == "POST" }.map(\.path)
        #expect(!submitted.isEmpty, "the frames were requested")
        #expect(!submitted.contains { $0.contains("video") || $0.contains("veo") || $0.contains("text-to-speech") },
                "only frames were requested: \(submitted)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run/run.json"))) as? [String: Any])
        let statuses = Dictionary(uniqueKeysWithValues: (report["nodes"] as? [[String: Any]] ?? []).map { ($0["id"] as! String, $0["status"] as? String ?? "") })
        #expect(statuses["hook.first_frame"] == "succeeded" && statuses["hook.video"] == "skipped" && statuses["final.video"] == "skipped")

        // A new take of a voice-over asks ElevenLabs for another reading (its seed); the first did not.
        for (name, extra) in [("voice", [String]()), ("retake", ["--regenerate", "hook.audio"])] {
            let result = try await sceneflow(["run", "samples/unboxing.json", "hook.audio", "--inputs", "samples/unboxing.inputs.json",
                                              "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent(name).path] + extra,
                                             environment: server.environment)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let speech = server.requests().filter { $0.method == "POST" && $0.path.contains("text-to-speech") }
        #expect(speech.count == 2, "\(speech.map(\.path))")
        #expect(speech.first?.body["seed"] == nil)
        #expect((speech.last?.body["seed"] as? NSNumber)?.intValue == 2, "take 2 sends seed 2: \(speech.last?.body ?? [:])")
    }

    @Test func withAKeyUnsetTheRunStopsBeforeAnyRequest() async throws {
        let server = try await FakeProviders()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var environment = server.environment
        environment["FAL_KEY"] = ""
        let result = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json",
                                    "--workspace", dir.appendingPathComponent("ws").path], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("FAL_KEY is not set"))
        #expect(server.requests().isEmpty, "nothing may be sent (or paid for) before every key is known")
    }

    @Test func aMalformedBaseURLIsAClearError() async throws {
        var environment = FakeProviders.keys
        environment["SCENEFLOW_FAL_URL"] = "queue.fal.run"
        let result = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json",
                                    "--workspace", try temporaryDirectory().path], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("SCENEFLOW_FAL_URL=queue.fal.run is not an http(s) URL"))
    }

    /// kill -9 while fal jobs are queued; the next run collects those same requests.
    @Test func aRunResumedAfterKill9PollsThePersistedFalRequests() async throws {
        let server = try await FakeProviders(scenario: ["fal_work_seconds": 3])
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = dir.appendingPathComponent("ws")
        let arguments = ["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--resolution", "240", "--workspace", workspace.path]
        let process = try launchSceneflow(arguments + ["--out", dir.appendingPathComponent("run1").path], environment: server.environment)

        let journal = workspace.appendingPathComponent("journal")
        @Sendable func journaled() -> Set<String> {
            let files = (try? FileManager.default.contentsOfDirectory(at: journal, includingPropertiesForKeys: nil)) ?? []
            // Committed entries only: a kill between AtomicFile's write and its rename leaves a
            // hidden temporary file, which no run reads (that request is lost, as it must be).
            return Set(files.filter { !$0.lastPathComponent.hasPrefix(".") && $0.pathExtension == "json" }.compactMap { file in
                (try? JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: String])?["request_id"]
            })
        }
        _ = await send(SIGKILL, to: process, when: { !journaled().isEmpty })
        let persisted = journaled()
        #expect(!persisted.isEmpty, "a submitted fal request was journaled before the kill")
        let requestsBefore = server.requests().count

        let second = try await sceneflow(arguments + ["--out", dir.appendingPathComponent("run2").path], environment: server.environment)
        #expect(second.status == 0, "\(second.stderr)")
        let after = Array(server.requests().dropFirst(requestsBefore))
        for id in persisted {
            #expect(after.contains { $0.route == "fal.status" && $0.path.contains(id) }, "\(id) was not polled after the restart")
        }
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run2/run.json"))) as? [String: Any])
        let falNodes = (report["nodes"] as? [[String: Any]] ?? []).filter { $0["provider"] as? String == "fal" }
        let ids = Set(falNodes.compactMap { $0["request_id"] as? String })
        #expect(persisted.isSubset(of: ids), "the resumed run's outputs come from the persisted requests")
        #expect(after.filter { $0.route == "fal.submit" }.count == falNodes.count - persisted.count,
                "only jobs never submitted were submitted after the restart")
    }
}

/// Avatars and backgrounds given as https URLs are fetched once into the workspace.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd, .ffmpeg)) struct RemoteImageTests {
    @Test func anHTTPSAvatarIsDownloadedOnceAndUsed() async throws {
        let server = try await FakeProviders(tls: true)
        try server.serve(packageRoot.appendingPathComponent("samples/assets/maya.png"), as: "maya.png")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/assets"), to: dir.appendingPathComponent("assets"))
        let sample = try String(contentsOf: packageRoot.appendingPathComponent("samples/unboxing.json"), encoding: .utf8)
        let template = dir.appendingPathComponent("remote-avatar.json")
        try sample.replacingOccurrences(of: "\"assets/maya.png\"", with: "\"\(server.root)/media/maya.png\"").write(to: template, atomically: true, encoding: .utf8)
        let product = "product_1=" + packageRoot.appendingPathComponent("samples/products/grinder/product.png").path
        func run(_ name: String, trust: Bool) async throws -> CommandResult {
            try await sceneflow(["run", template.path, "--asset", product, "--offline", "--resolution", "240",
                                 "--workspace", dir.appendingPathComponent("ws-\(trust)").path, "--out", dir.appendingPathComponent(name).path],
                                environment: trust ? ["SCENEFLOW_CA_BUNDLE": server.certificate!.path] : [:])
        }

        let untrusted = try await run("refused", trust: false)
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("cannot download \(server.root)/media/maya.png: TLS verification failed"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("refused/run.json").path), "nothing ran")

        let first = try await run("first", trust: true)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await run("second", trust: true)
        #expect(second.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("second/run.json"))) as? [String: Any])
        let generated = (report["nodes"] as? [[String: Any]] ?? []).filter { $0["provider"] != nil }
        #expect(!generated.isEmpty && generated.allSatisfy { $0["status"] as? String == "cached" },
                "the downloaded avatar keeps its digest, so every frame is a cache hit")
        #expect(server.requests("media").count == 1, "downloaded once per workspace")
    }
}

/// Ctrl-C during a remote run: fal jobs still queued are cancelled on fal.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd, .ffmpeg)) struct RemoteCancelTests {
    @Test func ctrlCCancelsQueuedFalJobs() async throws {
        let server = try await FakeProviders(scenario: ["fal_work_seconds": 600])
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = dir.appendingPathComponent("ws")
        let process = try launchSceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--resolution", "240",
                                           "--workspace", workspace.path, "--out", dir.appendingPathComponent("run").path],
                                          environment: server.environment)
        let status = await send(SIGINT, to: process, when: { !server.requests("fal.status").isEmpty })
        #expect(status == 130)
        // Request ids from the paths fal handed out: …/requests/{id}/status, …/requests/{id}/cancel.
        let submitted = Set(server.requests("fal.status").compactMap { $0.path.split(separator: "/").dropLast().last.map(String.init) })
        let cancelled = Set(server.requests("fal.cancel").compactMap { $0.path.split(separator: "/").dropLast().last.map(String.init) })
        #expect(!submitted.isEmpty && submitted.isSubset(of: cancelled), "every polled job was cancelled on fal: \(submitted) vs \(cancelled)")
        let journal = (try? FileManager.default.contentsOfDirectory(atPath: workspace.appendingPathComponent("journal").path)) ?? []
        #expect(journal.filter { !$0.hasPrefix(".") }.isEmpty, "fal accepted the cancellations: nothing is left to collect")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run/run.json"))) as? [String: Any])
        #expect(report["status"] as? String == "cancelled")
    }
}
