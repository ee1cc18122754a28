import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// An image handed to ffmpeg, with its type by content.
struct ImageFile: Sendable, Equatable {
    var path: String
    var type: MediaType
}

/// The local engine's ffmpeg and espeak-ng command lines, as plain values: what each job runs is
/// decided here (and unit-tested), `LocalEngine` only runs them.
///
/// Every command runs in the job's scratch folder, and every name it writes or that a filter
/// reads (`frame.png`, `caption.txt`) is a fixed relative name, so no user-chosen path ever
/// appears inside a filter graph, where `'`, `:`, `\` and `%` have meanings. User files are
/// read through the `file:` protocol with the image2 demuxer's patterns off and the decoder
/// named from the file's content, so `a%d.png` is one file and `x:y.png` no protocol. Caption
/// text reaches drawtext through a file with expansion off, so `%{localtime}` is just text.
struct LocalCommands: Sendable {
    var width: Int
    var height: Int

    static let fps = 25
    /// The top share of every generated frame that holds its caption (at most two lines).
    static let captionBand = 0.14
    /// The caption drawn on a frame, written beside the command in its scratch folder.
    static let captionFile = "caption.txt"

    /// The picture's encoding, shared by every clip and a cut with captions drawn in.
    static let encodeVideo = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
    static let encode = encodeVideo + ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart"]
    static let bitexact = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]
    static let quiet = ["-nostdin", "-hide_banner", "-v", "error", "-y"]

    /// Reads one still image; with `loopSeconds`, as a video of that image at 25 fps.
    static func input(_ image: ImageFile, loopSeconds: String? = nil) -> [String] {
        var arguments = ["-f", "image2", "-pattern_type", "none", "-c:v", decoder(image.type)]
        if let loopSeconds { arguments += ["-loop", "1", "-framerate", "\(fps)", "-t", loopSeconds] }
        return arguments + ["-i", "file:" + image.path]
    }

    /// Reads a media file (audio, a video) through the `file:` protocol.
    static func media(_ path: String) -> [String] { ["-i", "file:" + path] }

    static func decoder(_ type: MediaType) -> String {
        switch type {
        case .jpeg: return "mjpeg"
        case .webp: return "webp"
        default: return "png"
        }
    }

    /// Scales and crops to fill the frame exactly (no bars).
    static func fill(_ w: Int, _ h: Int) -> String {
        "scale=\(w):\(h):force_original_aspect_ratio=increase,crop=\(w):\(h),setsar=1"
    }

    /// drawtext of `captionFile`, centred, on a translucent box; no `%{...}` expansion.
    static func drawText(size: Int, y: String) -> String {
        "drawtext=textfile=\(captionFile):expansion=none:fontcolor=white:fontsize=\(size):box=1:boxcolor=black@0.45"
            + ":boxborderw=\(size / 2):line_spacing=\(size / 4):x=(w-text_w)/2:y=\(y)"
    }

    var captionSize: Int { max(14, height / 42) }

    /// A single image out, written as a file of that exact name (`-update 1`: no pattern).
    static func imageOutput(_ name: String) -> [String] { ["-frames:v", "1", "-update", "1"] + bitexact + [name] }

    // MARK: Frames

    /// Background scaled and cropped to the frame (or a plain backdrop); avatar, product images,
    /// size references and logo composited at sensible places; the caption drawn on top.
    func firstFrame(background: ImageFile?, avatar: ImageFile?, products: [ImageFile], references: [ImageFile], logos: [ImageFile],
                    output: String) -> [String] {
        let (w, h) = (width, height)
        let portrait = h >= w
        var arguments = Self.quiet
        var filters: [String] = []
        var inputCount = 0
        func add(_ image: ImageFile) -> Int {
            arguments += Self.input(image)
            inputCount += 1
            return inputCount - 1
        }
        if let background {
            filters.append("[\(add(background)):v]\(Self.fill(w, h)),format=rgba[base]")
        } else {
            arguments += ["-f", "lavfi", "-i", "color=c=0xD9CBB8:s=\(w)x\(h)"]
            inputCount += 1
            filters.append("[0:v]format=rgba[base]")
        }
        var current = "base", step = 0
        func overlay(_ input: Int, scale: String, x: String, y: String) {
            step += 1
            filters.append("[\(input):v]\(scale),format=rgba[layer\(step)]")
            filters.append("[\(current)][layer\(step)]overlay=x=\(x):y=\(y)[step\(step)]")
            current = "step\(step)"
        }
        let hasAvatar = avatar != nil
        if let avatar {
            let height = Int(Double(h) * (portrait ? 0.62 : 0.8))
            overlay(add(avatar), scale: "scale=-2:\(height)", x: portrait ? "(W-w)/2-W*0.12" : "W*0.1", y: "H-h")
        }
        for (n, product) in products.enumerated() {
            let width = Int(Double(w) * (hasAvatar ? (portrait ? 0.34 : 0.24) : (portrait ? 0.55 : 0.36)))
            let x = hasAvatar ? "W-w-W*0.05-\(n)*w*0.7" : "(W-w)/2-\(n)*w*0.6"
            overlay(add(product), scale: "scale=\(width):-2", x: x, y: hasAvatar ? "H-h-H*0.08" : "(H-h)/2")
        }
        for reference in references {
            overlay(add(reference), scale: "scale=\(Int(Double(w) * 0.12)):-2", x: hasAvatar ? "W*0.52" : "W*0.12", y: "H-h-H*0.08")
        }
        for logo in logos {
            overlay(add(logo), scale: "scale=\(Int(Double(w) * 0.22)):-2", x: "W-w-W*0.04", y: "W*0.04")
        }
        filters.append("[\(current)]\(Self.drawText(size: captionSize, y: "h*0.03"))[out]")
        return arguments + ["-filter_complex", filters.joined(separator: ";"), "-map", "[out]"] + Self.imageOutput(output)
    }

    /// A derived frame's source: the caption band of the frame it comes from cut away (so no
    /// half of an old caption shows), then scaled and cropped to fill the canvas.
    var sourceWithoutCaption: String {
        "crop=iw:ih*\(1 - Self.captionBand):0:ih*\(Self.captionBand)," + Self.fill(width, height)
    }

    /// The end state: a tighter, warmer variant of the first frame, captioned.
    func lastFrame(first: ImageFile, output: String) -> [String] {
        let filter = sourceWithoutCaption + ",crop=iw/1.12:ih/1.12,scale=\(width):\(height),eq=saturation=1.15:brightness=0.03,"
            + Self.drawText(size: captionSize, y: "h*0.03")
        return Self.quiet + Self.input(first) + ["-vf", filter] + Self.imageOutput(output)
    }

    /// How a camera description reframes a frame: zoom (above 1 closer, below 1 wider) and where
    /// the crop sits (0 = left/top, 1 = right/bottom).
    struct Reframe: Equatable, Sendable {
        var zoom: Double
        var x: Double
        var y: Double

        init(camera: String) {
            let c = camera.lowercased()
            zoom = c.contains("extreme close") ? 2.0 : c.contains("close") || c.contains("tight") ? 1.6
                : c.contains("medium") ? 1.25 : c.contains("wide") || c.contains("establishing") ? 0.8 : 1.3
            x = c.contains("left") ? 0.15 : c.contains("right") ? 0.85 : 0.5
            y = c.contains("low") ? 0.8 : c.contains("high") || c.contains("overhead") || c.contains("top") ? 0.2 : 0.5
        }
    }

    /// A re-shoot from the camera in the description: crop and zoom (close-up, from the left,
    /// low angle...), or, for a wide shot, the frame set smaller on a blurred version of itself.
    func cameraAngle(source: ImageFile, camera: String, output: String) -> [String] {
        let (w, h) = (width, height)
        let r = Reframe(camera: camera)
        let text = Self.drawText(size: captionSize, y: "h*0.03")
        let filter: String
        if r.zoom >= 1 {
            let cw = Int(Double(w) / r.zoom), ch = Int(Double(h) / r.zoom)
            filter = "[0:v]\(sourceWithoutCaption),crop=\(cw):\(ch):\(Int(Double(w - cw) * r.x)):\(Int(Double(h - ch) * r.y)),scale=\(w):\(h),\(text)[out]"
        } else {
            let fw = Int(Double(w) * r.zoom) / 2 * 2, fh = Int(Double(h) * r.zoom) / 2 * 2
            filter = "[0:v]\(sourceWithoutCaption),split[a][b];[a]boxblur=24:2[blurred];[b]scale=\(fw):\(fh)[small];"
                + "[blurred][small]overlay=x=(W-w)*\(r.x):y=(H-h)*\(r.y),\(text)[out]"
        }
        return Self.quiet + Self.input(source) + ["-filter_complex", filter, "-map", "[out]"] + Self.imageOutput(output)
    }

    /// Take `take` of a frame: the same picture re-framed and re-lit (a slight zoom and shift,
    /// warmer or cooler, brighter or darker), deterministic per take number.
    func varyTake(_ take: Int, input: String, output: String) -> [String] {
        let zoom = 1.04 + Double(take % 4) * 0.03
        let x = [0.5, 0.2, 0.8, 0.35, 0.65][take % 5], y = [0.5, 0.3, 0.7][take % 3]
        let warmth = take % 2 == 0 ? "rs=0.08:bs=-0.08" : "rs=-0.06:bs=0.08"
        let brightness = [0.04, -0.04, 0.07, -0.02][take % 4]
        let cw = Int(Double(width) / zoom) / 2 * 2, ch = Int(Double(height) / zoom) / 2 * 2
        let filter = "crop=\(cw):\(ch):\(Int(Double(width - cw) * x)):\(Int(Double(height - ch) * y)),scale=\(width):\(height),"
            + "colorbalance=\(warmth),eq=brightness=\(brightness)"
        return Self.quiet + Self.input(ImageFile(path: input, type: .png)) + ["-vf", filter] + Self.imageOutput(output)
    }

    // MARK: Speech

    /// espeak-ng voices, chosen per avatar voice id so each person keeps one voice.
    static let voices = ["en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m7", "en-gb+f4"]

    static func espeakVoice(for voice: String) -> String {
        guard !voice.isEmpty else { return voices[0] }
        let digest = Digest.sha256(voice)
        return voices[Int(UInt8(digest.prefix(2), radix: 16)!) % voices.count]
    }

    /// espeak-ng reading `textFile` (never the text as an argument, which could start with `-`).
    static func espeak(voice: String, textFile: String, output: String) -> [String] {
        ["-v", espeakVoice(for: voice), "-s", "165", "-w", output, "-f", textFile]
    }

    /// The raw speech sped up by `tempo` (at most 1.6) and padded or trimmed to exactly `duration`:
    /// 44.1 kHz stereo WAV.
    /// The raw speech sped up by `tempo`, padded or cut to `duration`; in the same pass, where it
    /// is silent (below −50 dB for 0.12 s or more: quiet consonants and a word's decay still count
    /// as heard), logged by `silencedetect` at info level on standard error (`SpeechTiming`).
    static func fitSpeech(raw: String, tempo: Double, duration: String, output: String) -> [String] {
        ["-nostdin", "-hide_banner", "-nostats", "-v", "info", "-y"] + media(raw)
            + ["-af", String(format: "atempo=%.4f,apad,silencedetect=n=-50dB:d=0.12", tempo), "-t", duration, "-ar", "44100", "-ac", "2"]
            + bitexact + [output]
    }

    // MARK: Clips

    /// Exactly `duration` long: a crossfade from the first frame to the last, or a slow push-in
    /// on the first frame; the voice-over (or silence) as AAC; H.264 in the frame's shape.
    func clip(first: ImageFile, last: ImageFile?, voice: String?, seconds: Double, output: String) -> [String] {
        let d = Self.seconds(seconds)
        let fit = Self.fill(width, height)
        var arguments = Self.quiet + Self.input(first, loopSeconds: d)
        let video: String
        if let last {
            arguments += Self.input(last, loopSeconds: d)
            video = "[0:v]\(fit),fps=\(Self.fps)[a];[1:v]\(fit),fps=\(Self.fps)[b];"
                + "[a][b]xfade=transition=fade:duration=\(Self.seconds(seconds * 0.5)):offset=\(Self.seconds(seconds * 0.25)),format=yuv420p[v]"
        } else {
            let frames = Int((seconds * Double(Self.fps)).rounded())
            video = "[0:v]\(fit),zoompan=z='1+0.10*on/\(max(1, frames))':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=\(width)x\(height):fps=\(Self.fps),format=yuv420p[v]"
        }
        return encode(arguments, video: video, nextInput: last == nil ? 1 : 2, voice: voice, existingAudio: nil, duration: d, output: output)
    }

    /// A provider's clip made into the run's clip format: the frame, 25 fps, exactly `seconds`
    /// (the last frame held if the model's clip is short), the voice-over, else the clip's own
    /// sound (`ownSound`), else silence.
    func conform(clip: String, voice: String?, ownSound: Bool, seconds: Double, output: String) -> [String] {
        let d = Self.seconds(seconds)
        let video = "[0:v]\(Self.fill(width, height)),fps=\(Self.fps),tpad=stop_mode=clone:stop_duration=\(d),format=yuv420p[v]"
        return encode(Self.quiet + Self.media(clip), video: video, nextInput: 1, voice: voice,
                      existingAudio: ownSound && voice == nil ? "0:a" : nil, duration: d, output: output)
    }

    /// The clip's sound and encoding: `video` is a filter graph ending in `[v]` over the inputs
    /// so far, the next input being number `nextInput`.
    private func encode(_ arguments: [String], video: String, nextInput: Int, voice: String?, existingAudio: String?,
                        duration d: String, output: String) -> [String] {
        var arguments = arguments, filters = video
        if let voice {
            arguments += Self.media(voice)
            filters += ";[\(nextInput):a]apad,aresample=44100[aout]"
        } else if let existingAudio {
            filters += ";[\(existingAudio)]apad,aresample=44100[aout]"
        } else {
            arguments += ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo"]
            filters += ";[\(nextInput):a]anull[aout]"
        }
        return arguments + ["-filter_complex", filters, "-map", "[v]", "-map", "[aout]", "-t", d, "-r", "\(Self.fps)"]
            + Self.encode + Self.bitexact + [output]
    }

    // MARK: The final cut

    /// The concat demuxer's list: one `file 'file:...'` line per clip (the protocol named, so a
    /// `:` in a folder name is no protocol), quotes escaped as the demuxer documents.
    static func concatList(_ clips: [String]) -> String {
        clips.map { "file 'file:\($0.replacingOccurrences(of: "'", with: "'\\''"))'\n" }.joined()
    }

    /// All clips in scene order, joined without re-encoding (they share one encoding).
    static func combine(list: String, output: String) -> [String] {
        quiet + ["-f", "concat", "-safe", "0", "-i", "file:" + list, "-c", "copy", "-movflags", "+faststart"] + bitexact + [output]
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }
}
