import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The final cut as something a team ships or hands to an editor: captions of what is said
/// (files, and burned in on request), a music bed ducked under the voice, −14 LUFS, provenance
/// in the file, and `final.otio` that OpenTimelineIO reads and turns into an EDL.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd, .ffmpeg), .serialized) struct FinishingTests {
    static let sample = ["samples/testimonial.yaml", "--inputs", "samples/testimonial.inputs.json", "--offline", "--resolution", "240"]

    func loudness(_ file: URL) async throws -> Double {
        let result = try await run("ffmpeg", ["-hide_banner", "-nostats", "-i", file.path, "-af", "ebur128", "-f", "null", "-"])
        let line = result.stderr.split(separator: "\n").last { $0.trimmingCharacters(in: .whitespaces).hasPrefix("I:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan
    }

    /// PSNR of one band of the picture (top and height as shares of the frame) between two videos at `time`.
    func psnr(_ a: URL, _ b: URL, at time: Double, top: Double, height: Double) async throws -> Double {
        let crop = "crop=iw:ih*\(height):0:ih*\(top)"
        let result = try await run("ffmpeg", ["-hide_banner", "-nostats", "-ss", String(time), "-i", a.path, "-ss", String(time), "-i", b.path,
                                              "-filter_complex", "[0:v]\(crop)[x];[1:v]\(crop)[y];[x][y]psnr", "-frames:v", "1", "-f", "null", "-"])
        guard let range = result.stderr.range(of: "average:") else { return .nan }
        let value = result.stderr[range.upperBound...].split(separator: " ").first.map(String.init) ?? ""
        return value == "inf" ? .infinity : Double(value) ?? .nan
    }

    /// The mean level (dB) of audio track `track` of `file` between two times.
    func meanVolume(_ file: URL, track: Int, from start: Double, to end: Double) async throws -> Double {
        let result = try await run("ffmpeg", ["-hide_banner", "-nostats", "-ss", String(start), "-to", String(end), "-i", file.path,
                                              "-map", "0:a:\(track)", "-af", "volumedetect", "-f", "null", "-"])
        let line = result.stderr.split(separator: "\n").first { $0.contains("mean_volume:") } ?? ""
        return Double(line.split(separator: " ").dropLast().last ?? "") ?? .nan
    }

    /// Where audio track `track` of `file` is heard: the gaps between its silences (below −40 dB
    /// for 0.25 s or more), those of 0.3 s or longer.
    func spoken(_ file: URL, track: Int, length: Double) async throws -> [(Double, Double)] {
        let result = try await run("ffmpeg", ["-hide_banner", "-nostats", "-i", file.path, "-map", "0:a:\(track)",
                                              "-af", "silencedetect=n=-40dB:d=0.25", "-f", "null", "-"])
        func value(_ line: Substring, _ key: String) -> Double? {
            line.range(of: key).flatMap { Double(line[$0.upperBound...].split(separator: " ").first ?? "") }
        }
        var heard: [(Double, Double)] = [], from = 0.0
        for line in result.stderr.split(separator: "\n") {
            if let start = value(line, "silence_start: ") { heard.append((from, start)) }
            if let end = value(line, "silence_end: ") { from = end }
        }
        if from < length - 0.3 { heard.append((from, length)) }
        return heard.filter { $0.1 - $0.0 >= 0.3 }
    }

    @Test func captionsMusicLoudnessProvenanceAndAnEditorsTimeline() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let plain = dir.appendingPathComponent("plain"), burned = dir.appendingPathComponent("burned")
        let first = try await sceneflow(["run"] + Self.sample + ["--out", plain.path] + ws)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await sceneflow(["run"] + Self.sample + ["--captions", "burn", "--music", "samples/music/bed.m4a", "--out", burned.path] + ws)
        #expect(second.status == 0, "\(second.stderr)")

        // Loudness: -14 LUFS integrated, with and without music.
        for folder in [plain, burned] {
            let lufs = try await loudness(folder.appendingPathComponent("final.mp4"))
            #expect(abs(lufs + 14) <= 0.5, "\(folder.lastPathComponent): \(lufs) LUFS")
            let streams = try await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", folder.appendingPathComponent("final.mp4").path])
            #expect(!streams.stdout.contains("subtitle"), "captions are pictures or files, never a subtitle stream")
        }

        // With music, the stems ride along as tracks 2 and 3 (not default): wherever the voice
        // is heard (the dialogue stem above −40 dB for a quarter second or more), it stays at
        // least 10 dB above the ducked music.
        let final = burned.appendingPathComponent("final.mp4")
        let tracks = try await run("ffprobe", ["-v", "error", "-select_streams", "a", "-show_entries", "stream_tags=handler_name:stream_disposition=default",
                                               "-of", "csv=p=0", final.path])
        #expect(tracks.stdout.split(separator: "\n") == ["1,Mix", "0,Dialogue stem", "0,Music stem"], "\(tracks.stdout)")
        let plainTracks = try await run("ffprobe", ["-v", "error", "-select_streams", "a", "-show_entries", "stream=index", "-of", "csv=p=0",
                                                    plain.appendingPathComponent("final.mp4").path])
        #expect(plainTracks.stdout.split(separator: "\n").count == 1, "without music there is one track, the mix")
        let speech = try await spoken(final, track: 1, length: 35)
        #expect(speech.count >= 3, "the sample speaks in several scenes: \(speech)")
        // The captions follow the voice: wherever speech is heard, a caption is on screen (the
        // local engine's words are laid over where its voice is heard, pauses skipped).
        let heardCues = SubRip.cues(try String(contentsOf: burned.appendingPathComponent("captions.srt"), encoding: .utf8))
        for (start, end) in speech {
            for t in stride(from: start + 0.05, to: end, by: 0.25) {
                #expect(heardCues.contains { $0.start <= t && t <= $0.end }, "speech at \(t) s has no caption: \(heardCues.map { ($0.start, $0.end) })")
            }
        }
        var margins: [Double] = []
        for (start, end) in speech {
            let voice = try await meanVolume(final, track: 1, from: start, to: end)
            let music = try await meanVolume(final, track: 2, from: start, to: end)
            margins.append(voice - music)
            #expect(voice - music >= 10, "\(start)–\(end) s: speech \(voice) dB, music \(music) dB")
        }
        print("speech over music where the voice is heard: \(margins.map { String(format: "%.1f", $0) }.joined(separator: ", ")) dB")

        // Captions: cues inside their scenes, in the dialogue's word order; a silent scene has none.
        let timeline = try JSONSerialization.jsonObject(with: Data(contentsOf: plain.appendingPathComponent("timeline.json"))) as? [String: Any]
        let clips = timeline?["clips"] as? [[String: Any]] ?? []
        let srt = try String(contentsOf: plain.appendingPathComponent("captions.srt"), encoding: .utf8)
        let cues = SubRip.cues(srt)
        #expect(!cues.isEmpty)
        let template = try String(contentsOf: packageRoot.appendingPathComponent("samples/testimonial.yaml"), encoding: .utf8)
        for clip in clips {
            let scene = clip["scene"] as? String ?? "", start = clip["start"] as? Double ?? 0, end = clip["end"] as? Double ?? 0
            let inside = cues.filter { $0.start >= start - 0.001 && $0.start < end }
            #expect(inside.allSatisfy { $0.end <= end + 0.001 }, "\(scene): a cue runs past its scene")
            let own = plain.appendingPathComponent("\(scene).captions.srt")
            if clip["speaking"] as? Bool == false {
                #expect(inside.isEmpty, "silent scene \(scene) has cues")
                #expect(!FileManager.default.fileExists(atPath: own.path))
            } else {
                // The scene's own captions: the same cues, timed from the scene's start.
                let shifted = SubRip.cues(try String(contentsOf: own, encoding: .utf8))
                #expect(shifted.map(\.text) == inside.map(\.text))
                #expect(zip(shifted, inside).allSatisfy { abs($0.start + start - $1.start) < 0.002 && abs($0.end + start - $1.end) < 0.002 })
                let said = inside.map(\.text).joined(separator: " ")
                #expect(!said.isEmpty && template.contains(said.split(separator: " ").prefix(3).joined(separator: " ")), "\(scene): \(said)")
            }
        }
        #expect(clips.contains { $0["speaking"] as? Bool == false }, "the sample has a silent scene to check")

        // Burned in only when asked: the caption band differs during a cue, the bottom of the frame does not.
        let cue = try #require(cues.first)
        let at = (cue.start + cue.end) / 2
        let band = try await psnr(plain.appendingPathComponent("final.mp4"), burned.appendingPathComponent("final.mp4"), at: at, top: 0.16, height: 0.2)
        let bottom = try await psnr(plain.appendingPathComponent("final.mp4"), burned.appendingPathComponent("final.mp4"), at: at, top: 0.7, height: 0.3)
        #expect(band < 25 && bottom > 30, "caption band \(band) dB, bottom \(bottom) dB")

        // Provenance in the file.
        let tags = try await run("ffprobe", ["-v", "error", "-show_entries", "format_tags=comment,title", "-of", "default=nw=1", burned.appendingPathComponent("final.mp4").path])
        #expect(tags.stdout.contains("SceneFlow") && tags.stdout.contains("grinder-testimonial") && tags.stdout.contains("grinder-x1"), "\(tags.stdout)")
        let madeBy = try JSONSerialization.jsonObject(with: Data(contentsOf: burned.appendingPathComponent("run.json"))) as? [String: Any]
        let runID = try #require(madeBy?["run_id"] as? String)
        #expect(tags.stdout.contains("run \(runID)"), "the comment names the run that made the cut: \(tags.stdout)")

        // The report names every model that made the cut.
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: burned.appendingPathComponent("run.json"))) as? [String: Any]
        let models = report?["models"] as? [String] ?? []
        #expect(models == models.sorted() && models.contains("local/ffmpeg-concat") && models.contains("local/espeak-ng"), "\(models)")

        // The editor's timeline: exactly the scenes, to the frame, media that exist; an EDL event per scene.
        let read = try await run("python3", [packageRoot.appendingPathComponent("Tests/SceneFlowCLITests/Fixtures/check_otio.py").path, burned.path])
        #expect(read.status == 0, "\(read.stderr)")
        let otio = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        let otioClips = otio["clips"] as? [[String: Any]] ?? []
        #expect(otioClips.compactMap { $0["scene"] as? String } == clips.compactMap { $0["scene"] as? String })
        for (a, b) in zip(otioClips, clips) {
            #expect(a["frames"] as? Double == ((b["end"] as? Double ?? 0) - (b["start"] as? Double ?? 0)) * 25, "\(a)")
            #expect(a["exists"] as? Bool == true, "\(a["url"] ?? "")")
        }
        #expect(otio["edl_events"] as? Int == clips.count)
        #expect((otio["audio_tracks"] as? [String]) == ["Voice-over", "Music"])
        #expect((otio["markers"] as? [String])?.count == cues.count, "captions are markers")
    }

    /// Integrated loudness and true peak of audio track `track` (ffmpeg's EBU R128 meter).
    func meter(_ file: URL, track: Int = 0) async throws -> (integrated: Double, truePeak: Double) {
        let result = try await run("ffmpeg", ["-hide_banner", "-nostats", "-i", file.path, "-map", "0:a:\(track)",
                                              "-af", "ebur128=peak=true", "-f", "null", "-"])
        let summary = result.stderr.components(separatedBy: "Summary:").last ?? ""
        func number(after key: String) -> Double {
            guard let range = summary.range(of: key) else { return .nan }
            return Double(summary[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\n" }).first ?? "") ?? .nan
        }
        return (number(after: "I:"), number(after: "Peak:"))
    }

    /// The promise of the cut, on beds unlike each other: a steady tone, a percussive loop,
    /// silence, pink noise louder than the voice, and the demo's own bed. Every mix is −14 LUFS
    /// ±0.5 and no track (the mix, either stem) has a true peak above −1 dBTP.
    @Test func theMixIsAtTheTargetLoudnessOnEveryBed() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        let beds: [(name: String, source: String?)] = [
            ("tonal", "sine=frequency=220:duration=20,volume=0.6"),
            ("percussive", "aevalsrc=0.95*sin(2*PI*55*t)*exp(-18*mod(t\\,0.5)):d=20"),
            ("silent", "anullsrc=r=48000:cl=stereo,atrim=0:20"),
            ("louder-than-speech", "anoisesrc=color=pink:amplitude=0.95:d=20"),
            ("demo", nil),
        ]
        var report: [String] = []
        for bed in beds {
            var music = packageRoot.appendingPathComponent("samples/music/bed.m4a")
            if let source = bed.source {
                music = dir.appendingPathComponent("\(bed.name).m4a")
                let made = try await run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "2", "-c:a", "aac", music.path])
                try #require(made.status == 0, "\(bed.name): \(made.stderr)")
            }
            let out = dir.appendingPathComponent("cut-\(bed.name)")
            let cut = try await sceneflow(["run"] + Self.sample + ["--music", music.path, "--out", out.path] + ws)
            #expect(cut.status == 0, "\(bed.name): \(cut.stderr.suffix(500))")
            let final = out.appendingPathComponent("final.mp4")
            let mix = try await meter(final)
            #expect(abs(mix.integrated + 14) <= 0.5, "\(bed.name): the mix is \(mix.integrated) LUFS")
            #expect(mix.truePeak <= -1, "\(bed.name): the mix peaks at \(mix.truePeak) dBTP")
            for track in 1...2 {
                let stem = try await meter(final, track: track)
                #expect(stem.truePeak <= -1, "\(bed.name): stem \(track) peaks at \(stem.truePeak) dBTP")
            }
            report.append("\(bed.name): \(mix.integrated) LUFS, \(mix.truePeak) dBTP")
        }
        print("loudness on every bed: " + report.joined(separator: "; "))
    }

    @Test func badMusicIsRefusedBeforeAnythingRuns() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("song.mp3")
        try Data("not music at all".utf8).write(to: text)
        let silentBlip = dir.appendingPathComponent("blip.wav")
        _ = try await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "anullsrc=d=0.3", silentBlip.path])
        for (file, says, status) in [(dir.appendingPathComponent("missing.m4a").path, "missing.m4a", Int32(66)), (dir.path, "directory", 66),
                                     (text.path, "not audio", 1), (silentBlip.path, "at least 1 s", 1)] {
            let result = try await sceneflow(["run"] + Self.sample + ["--music", file, "--workspace", dir.appendingPathComponent("ws").path,
                                                                      "--out", dir.appendingPathComponent("r").path])
            #expect(result.status == status, "\(file): \(result.stderr)")
            #expect(result.stderr.contains(says), "\(file): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r/run.json").path), "nothing ran")
        }
    }

    /// `--captions none|srt|burn` as cli.md has it: `none` writes no captions and no markers,
    /// `srt` (the default, and `files`, its old name) writes them; a wrong choice is a usage error.
    @Test func captionsNoneSrtAndAWrongChoice() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        for (choice, written) in [("none", false), ("srt", true), ("files", true)] {
            let out = dir.appendingPathComponent(choice)
            let result = try await sceneflow(["run"] + Self.sample + ["--captions", choice, "--out", out.path] + ws)
            #expect(result.status == 0, "\(result.stderr)")
            for name in ["captions.srt", "captions.vtt", "intro.captions.srt"] {
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path) == written, "\(choice): \(name)")
            }
            let otio = try String(contentsOf: out.appendingPathComponent("final.otio"), encoding: .utf8)
            #expect(otio.contains("\"Marker.") == written, "\(choice): caption markers in final.otio")
        }
        let wrong = try await sceneflow(["run"] + Self.sample + ["--captions", "subtitles", "--out", dir.appendingPathComponent("x").path] + ws)
        #expect(wrong.status == 64 && wrong.stderr.contains("none") && wrong.stderr.contains("burn"), "\(wrong.stderr)")
    }

    @Test func aTemplateThatNeverSpeaksHasNoCaptionsAndAQuietCut() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let template = dir.appendingPathComponent("silent.json")
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("samples/assets"), to: dir.appendingPathComponent("assets"))
        try Data(#"{"schema_version": 1, "id": "silent", "backgrounds": [{"id": "k", "image": "assets/kitchen.png"}], "scenes": [{"id": "a", "background": "k", "prompt": "🎬 ✨", "dialogue": "…!?", "speaking": true}, {"id": "b", "background": "k", "speaking": false}]}"#.utf8).write(to: template)
        let result = try await sceneflow(["run", template.path, "--offline", "--resolution", "96", "--captions", "burn",
                                          "--workspace", dir.appendingPathComponent("ws").path, "--out", dir.appendingPathComponent("r").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r/captions.srt").path), "only punctuation: no cue")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("r/final.otio").path))
    }
}
