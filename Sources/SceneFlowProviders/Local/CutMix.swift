import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The ffmpeg commands that finish the final cut: sound mixed, levelled to −14 LUFS with true
/// peaks held (measured on the encoded sound, corrected until it is within tolerance), captions
/// burned in, provenance tagged. Arguments are lists, never a shell; text reaches libass
/// through a file.
struct CutMix: Sendable {
    let work: CutWork
    let commands: LocalCommands

    static let subtitleFile = "captions.ass"
    /// EBU R128 target: the loudness of short-form social video, and the promise: the shipped
    /// mix within `tolerance` LU of `integrated`, no track's true peak above `truePeak` dBTP.
    static let target = (integrated: -14.0, truePeak: -1.0, range: 11.0, tolerance: 0.5)
    /// Where the limiter holds true peaks (4× oversampled), below the promise: AAC adds a little.
    static let ceiling = -1.8
    /// The limiter's ceiling is never lowered below this (a mix that needs more is refused).
    static let lowestCeiling = -9.0
    /// A pass is settled when the shipped mix is this close to the target (inside the tolerance).
    static let settle = 0.2
    /// Level, encode and measure at most this often.
    static let maxPasses = 5

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
    /// The sound as shipped: the mix and, with music, the stems, encoded once (AAC) and copied
    /// into `final.mp4`, so what is measured is what plays.
    static let audioFile = "audio.m4a"

    /// A gain, then a true-peak limiter at `ceiling` dBTP (4× oversampled, so the peaks between
    /// samples are held too).
    static func leveller(gain: Double, ceiling: Double) -> String {
        let limit = pow(10, ceiling / 20)
        return "volume=\(String(format: "%.2f", gain))dB,aresample=192000,alimiter=limit=\(String(format: "%.4f", limit)):attack=5:release=50:level=false,aresample=48000"
    }

    /// One levelling pass: the mix (and, with music, each stem) brought up or down by `gain` and
    /// limited at `ceiling`, written as WAV. Without a gain (a silent cut), the mix as it is.
    func level(gain: Double?, ceiling: Double) -> [String] {
        let chain = gain.map { Self.leveller(gain: $0, ceiling: ceiling) } ?? "aresample=48000"
        let length = ["-t", LocalCommands.seconds(work.seconds)]
        var graph = audioGraph(stems: hasStems) + ";[mix]\(chain)[out]"
        var outputs = ["-map", "[out]", "-c:a", "pcm_f32le"] + length + [Self.mixedFile]
        if hasStems {
            for stem in Self.stems {
                graph += ";[\(stem.label)]\(chain)[\(stem.label)out]"
                outputs += ["-map", "[\(stem.label)out]", "-c:a", "pcm_f32le"] + length + [stem.file]
            }
        }
        return LocalCommands.quiet + inputs + ["-filter_complex", graph] + outputs
    }

    /// Encodes the levelled mix (and stems, as the second and third tracks) as AAC: `audio.m4a`.
    func encodeAudio() -> [String] {
        var arguments = LocalCommands.quiet + ["-i", Self.mixedFile]
        var maps = ["-map", "0:a"]
        if hasStems {
            for (n, stem) in Self.stems.enumerated() {
                arguments += ["-i", stem.file]
                maps += ["-map", "\(n + 1):a"]
            }
        }
        return arguments + maps + ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"] + LocalCommands.bitexact + [Self.audioFile]
    }

    /// Measures one audio track of a file (loudnorm's JSON at info level): integrated loudness
    /// and true peak.
    static func measure(file: String, track: Int = 0) -> [String] {
        ["-nostdin", "-hide_banner", "-nostats", "-v", "info", "-y", "-i", file, "-map", "0:a:\(track)",
         "-af", "loudnorm=I=\(target.integrated):TP=\(target.truePeak):LRA=\(target.range):print_format=json", "-f", "null", "-"]
    }

    /// The last step: the picture copied or, with captions, drawn over and encoded as the clips
    /// are; the shipped sound copied from `audio.m4a` (the mix default, the stems after it, not
    /// default, titled); provenance in the metadata, the comment naming the run that made the cut.
    func finish(input: String, output: String) -> [String] {
        let burn = !work.burnedCaptions.isEmpty
        var arguments = LocalCommands.quiet + ["-i", input, "-i", Self.audioFile]
        if burn { arguments += ["-filter_complex", "[0:v]ass=\(Self.subtitleFile)[picture]"] }
        arguments += ["-map", burn ? "[picture]" : "0:v", "-map", "1:a"]
        arguments += burn ? LocalCommands.encodeVideo : ["-c:v", "copy"]
        arguments += ["-c:a", "copy", "-movflags", "+faststart"] + LocalCommands.bitexact
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
        var truePeakValue: Double { Double(truePeak) ?? 0 }

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
