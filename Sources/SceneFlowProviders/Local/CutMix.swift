import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The ffmpeg commands that finish the final cut: sound mixed and loudness-normalised, captions
/// burned in, provenance tagged. Arguments are lists, never a shell; text reaches libass
/// through a file.
struct CutMix: Sendable {
    let work: CutWork
    let commands: LocalCommands

    static let subtitleFile = "captions.ass"
    /// EBU R128 target: the loudness of short-form social video.
    static let target = (integrated: -14.0, truePeak: -1.5, range: 11.0)

    /// The audio graph up to `[mix]`: the cut's own sound, or with music: the music looped to
    /// the cut's length (or cut to it), faded in (1 s) and out (2 s), lowered, and ducked under
    /// the voice by a sidechain compressor, then mixed with the voice. With `stems` (music only)
    /// the voice and the ducked music also come out alone, as `[dialogue]` and `[music]`.
    func audioGraph(stems: Bool = false) -> String {
        guard work.music != nil else { return "[0:a]anull[mix]" }
        let length = LocalCommands.seconds(work.seconds)
        let fadeOut = LocalCommands.seconds(max(0, work.seconds - 2))
        return "[1:a]aloop=loop=-1:size=2147483647,atrim=0:\(length),asetpts=N/SR/TB,aformat=sample_rates=48000:channel_layouts=stereo,"
            + "afade=t=in:d=1,afade=t=out:st=\(fadeOut):d=2,volume=0.35[bed];"
            + "[0:a]aformat=sample_rates=48000:channel_layouts=stereo,asplit=\(stems ? 3 : 2)[voice][key]\(stems ? "[dialogue]" : "");"
            + "[bed][key]sidechaincompress=threshold=0.015:ratio=12:attack=15:release=350:makeup=1"
            + (stems ? ",asplit=2[ducked][music];" : "[ducked];")
            + "[voice][ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[mix]"
    }

    /// With music, the stems written beside the mix (and carried in the final file as its
    /// second and third audio tracks): the voice alone and the ducked music alone, at the mix's gain.
    static let stems = [(file: "dialogue.wav", label: "dialogue", title: "Dialogue stem"), (file: "music.wav", label: "music", title: "Music stem")]
    var hasStems: Bool { work.music != nil }

    var inputs: [String] {
        ["-i", "joined.mp4"] + (work.music.map { ["-i", "file:" + $0.file.path] } ?? [])
    }

    /// First pass: loudnorm measures and prints its JSON (at info level).
    func measure(input: String) -> [String] {
        ["-nostdin", "-hide_banner", "-nostats", "-v", "info", "-y"] + inputs
            + ["-filter_complex", audioGraph() + ";[mix]loudnorm=I=\(Self.target.integrated):TP=\(Self.target.truePeak):LRA=\(Self.target.range):print_format=json[out]",
               "-map", "[out]", "-f", "null", "-"]
    }

    static let mixedFile = "mixed.wav"

    /// The gain and true-peak limiter that bring a sound measured at `loudness` to the target.
    static func leveller(_ loudness: Loudness) -> String {
        let gain = target.integrated - loudness.integratedValue
        // The limiter holds sample peaks; AAC encoding and inter-sample peaks add up to ~0.8 dB.
        let limit = pow(10, (target.truePeak - 1.0) / 20)
        return "volume=\(String(format: "%.2f", gain))dB,alimiter=limit=\(String(format: "%.4f", limit)):attack=5:release=50:level=false"
    }

    /// Second pass: the mix brought to the target by the measured gain, limited at the true
    /// peak, written as `mixed.wav` (the limiter takes a little loudness from a peaky mix: the
    /// last pass measures again and corrects). With music, the stems get the same gain, unlimited.
    func level(loudness: Loudness?) -> [String] {
        let chain = loudness.map { ";[mix]\(Self.leveller($0)),aresample=48000[out]" } ?? ";[mix]aresample=48000[out]"
        let length = ["-t", LocalCommands.seconds(work.seconds)]
        var arguments = LocalCommands.quiet + inputs
        var graph = audioGraph(stems: hasStems) + chain
        var outputs = ["-map", "[out]", "-c:a", "pcm_s16le"] + length + [Self.mixedFile]
        if hasStems {
            for stem in Self.stems {
                graph += ";[\(stem.label)]\(Self.gain(loudness)),aresample=48000[\(stem.label)out]"
                outputs += ["-map", "[\(stem.label)out]", "-c:a", "pcm_s16le"] + length + [stem.file]
            }
        }
        arguments += ["-filter_complex", graph]
        return arguments + outputs
    }

    /// The leveller's gain alone, for a stem.
    static func gain(_ loudness: Loudness?) -> String {
        "volume=\(String(format: "%.2f", loudness.map { target.integrated - $0.integratedValue } ?? 0))dB"
    }

    /// Measures a file's loudness (loudnorm's JSON at info level).
    static func measure(file: String) -> [String] {
        ["-nostdin", "-hide_banner", "-nostats", "-v", "info", "-y", "-i", file,
         "-af", "loudnorm=I=\(target.integrated):TP=\(target.truePeak):LRA=\(target.range):print_format=json", "-f", "null", "-"]
    }

    /// Last pass: the picture copied or, with captions, drawn over and encoded as the clips are;
    /// the levelled sound corrected by what the limiter took; with music, the stems as two more
    /// audio tracks (not default, titled) corrected by the same gain; provenance in the metadata,
    /// the comment naming the run that made the cut.
    func finish(input: String, correction: Loudness?, output: String) -> [String] {
        let burn = !work.burnedCaptions.isEmpty
        var graph = "[1:a]" + (correction.map { Self.leveller($0) + "," } ?? "") + "aresample=48000[out]"
        var stemInputs: [String] = [], stemMaps: [String] = []
        if hasStems {
            for (n, stem) in Self.stems.enumerated() {
                stemInputs += ["-i", stem.file]
                graph += ";[\(n + 2):a]\(Self.gain(correction)),aresample=48000[\(stem.label)]"
                stemMaps += ["-map", "[\(stem.label)]"]
            }
        }
        if burn { graph += ";[0:v]ass=\(Self.subtitleFile)[picture]" }
        var arguments = LocalCommands.quiet + ["-i", input, "-i", Self.mixedFile] + stemInputs + ["-filter_complex", graph,
                                               "-map", burn ? "[picture]" : "0:v", "-map", "[out]"] + stemMaps
        arguments += burn ? LocalCommands.encode : ["-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart"]
        arguments += LocalCommands.bitexact
        var metadata = work.metadata
        if let run = work.runID { metadata["comment", default: "Made with SceneFlow"] += " · run \(run)" }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { arguments += ["-metadata", "\(key)=\(value)"] }
        if hasStems {
            arguments += ["-disposition:a:0", "default", "-metadata:s:a:0", "handler_name=Mix"]
            for (n, stem) in Self.stems.enumerated() {
                arguments += ["-disposition:a:\(n + 1)", "0", "-metadata:s:a:\(n + 1)", "handler_name=\(stem.title)"]
            }
        }
        return arguments + ["-t", LocalCommands.seconds(work.seconds), output]
    }

    /// The captions as an ASS script sized to the frame: large, bold, white with a dark outline,
    /// centred just below the top band that carries the frames' own captions, clear of the
    /// product box and the avatar at the bottom and inside the 9:16 safe area.
    func subtitles() -> String {
        let w = commands.width, h = commands.height
        let size = max(16, Int(Double(min(w, h)) * 0.075))
        let margin = Int(Double(h) * (LocalCommands.captionBand + 0.05))
        let side = Int(Double(w) * 0.08)
        var script = """
        [Script Info]
        ScriptType: v4.00+
        PlayResX: \(w)
        PlayResY: \(h)
        WrapStyle: 0
        ScaledBorderAndShadow: yes

        [V4+ Styles]
        Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
        Style: Caption,DejaVu Sans,\(size),&H00FFFFFF,&H00FFFFFF,&H00101010,&H80000000,-1,0,0,0,100,100,0,0,1,\(max(2, size / 9)),0,8,\(side),\(side),\(margin),1

        [Events]
        Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text

        """
        for cue in work.burnedCaptions {
            // ASS treats {...} as overrides and \N as breaks: text is made inert.
            let text = cue.text.replacingOccurrences(of: "\\", with: "\u{2216}").replacingOccurrences(of: "{", with: "(")
                .replacingOccurrences(of: "}", with: ")").replacingOccurrences(of: "\n", with: " ")
            script += "Dialogue: 0,\(Self.assTime(cue.start)),\(Self.assTime(cue.end)),Caption,,0,0,0,,\(text)\n"
        }
        return script
    }

    static func assTime(_ seconds: Double) -> String {
        let cs = Int((seconds * 100).rounded())
        return String(format: "%d:%02d:%02d.%02d", cs / 360_000, cs / 6000 % 60, cs / 100 % 60, cs % 100)
    }

    /// loudnorm's first-pass measurements; nil when the input is silent (nothing to normalise).
    struct Loudness: Sendable {
        var integrated: String, truePeak: String, range: String, threshold: String, offset: String
        var integratedValue: Double { Double(integrated) ?? CutMix.target.integrated }

        init?(log: String) {
            guard let start = log.range(of: "{", options: .backwards), let end = log.range(of: "}", options: .backwards),
                  start.lowerBound < end.lowerBound,
                  let object = try? JSONSerialization.jsonObject(with: Data(log[start.lowerBound...end.lowerBound].utf8)) as? [String: String],
                  let i = object["input_i"], let tp = object["input_tp"], let lra = object["input_lra"],
                  let thresh = object["input_thresh"], let offset = object["target_offset"],
                  let value = Double(i), value.isFinite, value > -70 else { return nil }
            integrated = i; truePeak = tp; range = lra; threshold = thresh; self.offset = offset
        }
    }
}
