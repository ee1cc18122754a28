import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// What ffprobe says about a media file.
struct Probe {
    var duration: Double
    var width: Int
    var height: Int
    var hasAudio: Bool
    var videoCodec: String?

    init(_ url: URL) async throws {
        let result = try await run("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name,width,height", "-of", "json", url.path])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        let streams = object["streams"] as? [[String: Any]] ?? []
        let video = streams.first { $0["codec_type"] as? String == "video" }
        duration = Double((object["format"] as? [String: Any])?["duration"] as? String ?? "0") ?? 0
        width = video?["width"] as? Int ?? 0
        height = video?["height"] as? Int ?? 0
        videoCodec = video?["codec_name"] as? String
        hasAudio = streams.contains { $0["codec_type"] as? String == "audio" }
    }
}

func readReport(_ folder: URL) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run.json"))) as? [String: Any] ?? [:]
}

func statuses(_ report: [String: Any]) -> [String: String] {
    Dictionary(uniqueKeysWithValues: (report["nodes"] as? [[String: Any]] ?? []).map { ($0["id"] as! String, $0["status"] as! String) })
}

@Suite(.serialized, .timeLimit(.minutes(10)), .tags(.endToEnd, .ffmpeg)) struct OfflineRunTests {
    static let samples: [(template: String, seconds: Double, width: Int, height: Int)] = [
        ("samples/unboxing.json", 15, 9, 16), ("samples/testimonial.yaml", 35, 9, 16), ("samples/product-only.json", 14, 16, 9),
    ]

    @Test("each sample hydrates offline into a watchable MP4, and a second run is entirely cached", arguments: samples.map(\.template))
    func sampleHydratesOffline(_ template: String) async throws {
        let expected = Self.samples.first { $0.template == template }!
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inputs = template.replacingOccurrences(of: ".json", with: ".inputs.json").replacingOccurrences(of: ".yaml", with: ".inputs.json")
        let arguments = ["run", template, "--inputs", inputs, "--offline", "--workspace", dir.appendingPathComponent("ws").path, "--resolution", "360"]
        let first = try await sceneflow(arguments + ["--out", dir.appendingPathComponent("run1").path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == dir.appendingPathComponent("run1/run.json").path, "prints the report's path")

        let final = dir.appendingPathComponent("run1/final.mp4")
        let probe = try await Probe(final)
        let scenes = Double((try readReport(dir.appendingPathComponent("run1"))["nodes"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "video" }.count)
        #expect(abs(probe.duration - expected.seconds) <= 0.1 * scenes, "duration \(probe.duration), expected \(expected.seconds)")
        #expect(probe.width * expected.height == probe.height * expected.width, "aspect ratio \(probe.width)x\(probe.height)")
        #expect(min(probe.width, probe.height) == 360)
        #expect(probe.hasAudio && probe.videoCodec == "h264")
        let report = try readReport(dir.appendingPathComponent("run1"))
        #expect(report["status"] as? String == "succeeded" && report["offline"] as? Bool == true)
        #expect((report["nodes"] as? [[String: Any]] ?? []).filter { $0["model"] != nil }.allSatisfy { $0["provider"] as? String == "local" && $0["offline"] as? Bool == true })
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("run1/run.svg").path))
        let timeline = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run1/timeline.json"))) as? [String: Any]
        #expect((timeline?["clips"] as? [[String: Any]])?.count == Int(scenes))

        let second = try await sceneflow(arguments + ["--out", dir.appendingPathComponent("run2").path])
        #expect(second.status == 0)
        let again = statuses(try readReport(dir.appendingPathComponent("run2")))
        let generation = (try readReport(dir.appendingPathComponent("run2"))["nodes"] as? [[String: Any]] ?? [])
            .filter { $0["job"] != nil }.map { $0["id"] as! String }
        #expect(!generation.isEmpty && generation.allSatisfy { again[$0] == "cached" })
        #expect(try Data(contentsOf: dir.appendingPathComponent("run2/final.mp4")) == Data(contentsOf: final))
    }

    @Test func brokenImagesAreRefusedBeforeAnythingRuns() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // PNG magic (so a type check by the first bytes alone would accept it), then garbage; and
        // a real PNG cut short.
        let corrupt = dir.appendingPathComponent("corrupt.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("garbage".utf8)).write(to: corrupt)
        let truncated = dir.appendingPathComponent("truncated.png")
        try Data(try Data(contentsOf: packageRoot.appendingPathComponent("samples/products/grinder/product.png")).prefix(600)).write(to: truncated)
        for file in [corrupt, truncated] {
            let validate = try await sceneflow(["validate", "samples/unboxing.json", "--asset", "product_1=\(file.path)"])
            #expect(validate.status == 1 && validate.stdout.contains("[invalid-media]"), "\(validate.stdout)")
            let result = try await sceneflow(["run", "samples/unboxing.json", "--asset", "product_1=\(file.path)", "--offline",
                                              "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("run").path, "--resolution", "240"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("\(file.lastPathComponent)") && result.stderr.contains("it is not a readable PNG"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/run.json").path), "nothing ran")
            let cache = dir.appendingPathComponent("ws/cache")
            let cached = (FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? []).filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: cache.appendingPathComponent(name).path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
            #expect(cached.isEmpty, "nothing was made, so nothing was paid for")
        }
    }

    @Test func tinyImagesWorkAndHugeOnesAreRefused() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tiny = dir.appendingPathComponent("tiny.png")
        try Data(onePixelPNG()).write(to: tiny)
        let ok = try await sceneflow(["run", "samples/unboxing.json", "--asset", "product_1=\(tiny.path)", "--offline",
                                "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("a").path, "--resolution", "240"])
        #expect(ok.status == 0, "\(ok.stderr)")

        let huge = dir.appendingPathComponent("huge.png")
        try Data(hugePNG(width: 20_000, height: 20_000)).write(to: huge)
        let refused = try await sceneflow(["run", "samples/unboxing.json", "--asset", "product_1=\(huge.path)", "--offline",
                                     "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("b").path, "--resolution", "240"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("20000×20000") && refused.stderr.contains("8192 pixels a side"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("b/run.json").path))
    }

    @Test func missingToolsAndKeysStopBeforeAnythingRuns() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let noTools = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--offline",
                                     "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("a").path],
                                    environment: ["PATH": "/nonexistent"])
        #expect(noTools.status == 1)
        #expect(noTools.stderr.contains("apt-get install ffmpeg espeak-ng"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a/run.json").path), "nothing ran")

        let noKeys = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json",
                                    "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("b").path],
                                   environment: ["FAL_KEY": "", "ELEVENLABS_API_KEY": "", "GEMINI_API_KEY": ""])
        #expect(noKeys.status == 1)
        #expect(noKeys.stderr.contains("ELEVENLABS_API_KEY, FAL_KEY are not set"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("b/run.json").path))
    }

    @Test func interruptCancelsAndExits130() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = try launchSceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--simulate", "2",
                                           "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("run").path])
        let started = Date()
        let status = await send(SIGINT, to: process, when: { Date().timeIntervalSince(started) > 1.5 })
        #expect(status == 130)
        #expect(try readReport(dir.appendingPathComponent("run"))["status"] as? String == "cancelled")
    }

    @Test func killedRunResumesWithoutRedoingFinishedWork() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = dir.appendingPathComponent("ws")
        let arguments = ["run", "samples/testimonial.yaml", "--inputs", "samples/testimonial.inputs.json", "--simulate", "40", "--workspace", workspace.path]
        let process = try launchSceneflow(arguments + ["--out", dir.appendingPathComponent("run1").path])
        // Wait until a few outputs are in the cache, then kill -9 mid-run.
        let cache = workspace.appendingPathComponent("cache/simulated")
        @Sendable func finished() -> Set<String> {
            let files = (FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
            return Set(files.compactMap { name -> String? in
                guard let data = FileManager.default.contents(atPath: cache.appendingPathComponent(name).path),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
                return object["node"] as? String
            })
        }
        _ = await send(SIGKILL, to: process, when: { finished().count >= 4 })
        let before = finished()
        #expect(before.count >= 4 && !before.contains("final.video"), "killed mid-run: \(before)")

        let second = try await sceneflow(arguments + ["--out", dir.appendingPathComponent("run2").path])
        #expect(second.status == 0, "\(second.stderr)")
        let s = statuses(try readReport(dir.appendingPathComponent("run2")))
        for node in before { #expect(s[node] == "cached", "\(node) was finished before the kill and must not run again") }
        #expect(s["final.video"] == "succeeded")
    }
}

/// A valid 1×1 red PNG: one scanline (filter byte + RGB) in a stored deflate block.
func onePixelPNG() -> [UInt8] {
    let raw: [UInt8] = [0, 255, 0, 0]
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    let adler = (b << 16) | a
    let zlib: [UInt8] = [0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF] + raw
        + [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
    return pngFile(width: 1, height: 1, idat: zlib)
}

/// A PNG whose header claims `width`×`height` (its pixel data is tiny and invalid).
func hugePNG(width: UInt32, height: UInt32) -> [UInt8] {
    pngFile(width: width, height: height, idat: [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
}

func pngFile(width: UInt32, height: UInt32, idat: [UInt8]) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func crc(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be(UInt32(data.count)) + body + be(crc(body))
    }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        + chunk("IHDR", be(width) + be(height) + [8, 2, 0, 0, 0])
        + chunk("IDAT", idat)
        + chunk("IEND", [])
}
