import Foundation
import SceneFlowCore

/// The offline engine: real frames, speech, clips and a final MP4 from ffmpeg and espeak-ng,
/// with no keys and no network. It stands in for the image, voice and video models so a
/// template can be hydrated and watched end to end on any machine.
///
/// Outputs are deterministic for the same inputs (bit-exact encoder flags, no timestamps in
/// metadata), so the cache and tests are meaningful.
public struct LocalEngine: Generator {
    let ffmpeg: ToolRunner
    let ffprobe: ToolRunner
    let espeak: ToolRunner

    /// Larger images are refused before decoding: a 20,000-pixel PNG needs gigabytes.
    public static let maxImageSide = 8192
    static let fps = 25

    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let ffmpeg = ToolRunner.find("ffmpeg", environment: environment),
              let ffprobe = ToolRunner.find("ffprobe", environment: environment),
              let espeak = ToolRunner.find("espeak-ng", environment: environment) else { return nil }
        self.ffmpeg = ToolRunner(executable: ffmpeg)
        self.ffprobe = ToolRunner(executable: ffprobe)
        self.espeak = ToolRunner(executable: espeak)
    }

    public func generate(_ job: Job) async throws -> GeneratedOutput {
        do {
            let file: URL
            switch job.kind {
            case .firstFrame: file = try await firstFrame(job)
            case .lastFrame: file = try await lastFrame(job)
            case .cameraAngle: file = try await cameraAngle(job)
            case .audio: file = try await speech(job)
            case .video: file = try await clip(job)
            case .combine: file = try await combine(job)
            }
            return GeneratedOutput(file: file, provider: .local, requestID: nil, cost: 0)
        } catch let failure as ToolRunner.Failure {
            throw GenerationError(.permanent, provider: .local, message: failure.description)
        } catch let error as GenerationError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw GenerationError(.permanent, provider: .local, message: "\(error)")
        }
    }

    // MARK: Geometry

    func canvas(_ job: Job) -> (w: Int, h: Int) {
        let ratio = AspectRatio(rawValue: job.parameters["aspect_ratio"] ?? "9:16") ?? .portrait
        let size = ratio.pixelSize(shortSide: Int(job.parameters["resolution"] ?? "720") ?? 720)
        return (size.width, size.height)
    }

    // MARK: Frames

    /// Background scaled and cropped to the frame; avatar, product, size reference and logo
    /// composited at sensible places; the prompt drawn as a caption.
    func firstFrame(_ job: Job) async throws -> URL {
        let (w, h) = canvas(job)
        let portrait = h >= w
        var arguments = ["-v", "error", "-y"]
        var filters: [String] = []
        var inputCount = 0
        func addInput(_ url: URL) async throws -> Int {
            try await checkImage(url)
            arguments += ["-i", url.path]
            inputCount += 1
            return inputCount - 1
        }
        if let background = job.inputs(.background).first {
            let i = try await addInput(background.file)
            filters.append("[\(i):v]\(Self.fill(w, h)),format=rgba[base]")
        } else {
            arguments += ["-f", "lavfi", "-i", "color=c=0xD9CBB8:s=\(w)x\(h)"]
            inputCount += 1
            filters.append("[0:v]format=rgba[base]")
        }
        var current = "base"
        var step = 0
        func overlay(_ input: Int, scale: String, x: String, y: String) {
            step += 1
            filters.append("[\(input):v]\(scale),format=rgba[layer\(step)]")
            filters.append("[\(current)][layer\(step)]overlay=x=\(x):y=\(y)[step\(step)]")
            current = "step\(step)"
        }
        let hasAvatar = !job.inputs(.avatar).isEmpty
        if let avatar = job.inputs(.avatar).first {
            let i = try await addInput(avatar.file)
            let height = Int(Double(h) * (portrait ? 0.62 : 0.8))
            overlay(i, scale: "scale=-2:\(height)", x: portrait ? "(W-w)/2-W*0.12" : "W*0.1", y: "H-h")
        }
        for (n, product) in job.inputs(.productImage).enumerated() {
            let i = try await addInput(product.file)
            let width = Int(Double(w) * (hasAvatar ? (portrait ? 0.34 : 0.24) : (portrait ? 0.55 : 0.36)))
            let x = hasAvatar ? "W-w-W*0.05-\(n)*w*0.7" : "(W-w)/2-\(n)*w*0.6"
            overlay(i, scale: "scale=\(width):-2", x: x, y: hasAvatar ? "H-h-H*0.08" : "(H-h)/2")
        }
        for reference in job.inputs(.referenceImage) {
            let i = try await addInput(reference.file)
            overlay(i, scale: "scale=\(Int(Double(w) * 0.12)):-2", x: hasAvatar ? "W*0.52" : "W*0.12", y: "H-h-H*0.08")
        }
        for logo in job.inputs(.logo) {
            let i = try await addInput(logo.file)
            overlay(i, scale: "scale=\(Int(Double(w) * 0.22)):-2", x: "W-w-W*0.04", y: "W*0.04")
        }
        let caption = try writeCaption(job.parameters["caption"] ?? captionText(job), in: job.scratch, width: w)
        filters.append("[\(current)]\(drawText(caption, size: max(14, h / 42), y: "h*0.03"))[out]")
        let out = job.scratch.appendingPathComponent("frame.png")
        try await ffmpeg.run(arguments + ["-filter_complex", filters.joined(separator: ";"), "-map", "[out]", "-frames:v", "1"]
                             + Self.bitexact + [out.path])
        return out
    }

    /// The top share of every generated frame that holds its caption (at most two lines).
    static let captionBand = 0.14

    /// A derived frame's source: the caption band of the frame it comes from cut away (so no
    /// half of an old caption shows), then scaled and cropped to fill the canvas.
    func sourceWithoutCaption(width w: Int, height h: Int) -> String {
        "crop=iw:ih*\(1 - Self.captionBand):0:ih*\(Self.captionBand)," + Self.fill(w, h)
    }

    /// The end state: a tighter, warmer variant of the first frame, captioned with the frame prompt.
    func lastFrame(_ job: Job) async throws -> URL {
        let (w, h) = canvas(job)
        guard let first = job.inputs(.firstFrame).first else { throw GenerationError(.permanent, provider: .local, message: "a last frame needs its scene's first frame") }
        try await checkImage(first.file)
        let caption = try writeCaption("END · " + captionText(job), in: job.scratch, width: w)
        let filter = sourceWithoutCaption(width: w, height: h) + ","
            + "crop=iw/1.12:ih/1.12,scale=\(w):\(h),eq=saturation=1.15:brightness=0.03,"
            + drawText(caption, size: max(14, h / 42), y: "h*0.03")
        let out = job.scratch.appendingPathComponent("frame.png")
        try await ffmpeg.run(["-v", "error", "-y", "-i", first.file.path, "-vf", filter, "-frames:v", "1"] + Self.bitexact + [out.path])
        return out
    }

    /// How a camera description reframes a frame: zoom (above 1 closer, below 1 wider) and where
    /// the crop sits (0 = left/top, 1 = right/bottom).
    public struct Reframe: Equatable, Sendable {
        public var zoom: Double
        public var x: Double
        public var y: Double

        public init(camera: String) {
            let c = camera.lowercased()
            zoom = c.contains("extreme close") ? 2.0 : c.contains("close") || c.contains("tight") ? 1.6
                : c.contains("medium") ? 1.25 : c.contains("wide") || c.contains("establishing") ? 0.8 : 1.3
            x = c.contains("left") ? 0.15 : c.contains("right") ? 0.85 : 0.5
            y = c.contains("low") ? 0.8 : c.contains("high") || c.contains("overhead") || c.contains("top") ? 0.2 : 0.5
        }
    }

    /// A re-shoot from the camera in the description: crop and zoom (close-up, from the left,
    /// low angle...), or, for a wide shot, the frame set smaller on a blurred version of itself.
    func cameraAngle(_ job: Job) async throws -> URL {
        let (w, h) = canvas(job)
        guard let source = job.inputs(.cameraAngle).first else { throw GenerationError(.permanent, provider: .local, message: "a camera angle needs a source frame") }
        try await checkImage(source.file)
        let r = Reframe(camera: job.parameters["camera"] ?? "")
        let fit = sourceWithoutCaption(width: w, height: h)
        let caption = try writeCaption("CAMERA · \(job.parameters["camera"] ?? "")", in: job.scratch, width: w)
        let text = drawText(caption, size: max(14, h / 42), y: "h*0.03")
        let filter: String
        if r.zoom >= 1 {
            let cw = Int(Double(w) / r.zoom), ch = Int(Double(h) / r.zoom)
            filter = "[0:v]\(fit),crop=\(cw):\(ch):\(Int(Double(w - cw) * r.x)):\(Int(Double(h - ch) * r.y)),scale=\(w):\(h),\(text)[out]"
        } else {
            let fw = Int(Double(w) * r.zoom) / 2 * 2, fh = Int(Double(h) * r.zoom) / 2 * 2
            filter = "[0:v]\(fit),split[a][b];[a]boxblur=24:2[blurred];[b]scale=\(fw):\(fh)[small];"
                + "[blurred][small]overlay=x=(W-w)*\(r.x):y=(H-h)*\(r.y),\(text)[out]"
        }
        let out = job.scratch.appendingPathComponent("frame.png")
        try await ffmpeg.run(["-v", "error", "-y", "-i", source.file.path, "-filter_complex", filter, "-map", "[out]", "-frames:v", "1"]
                             + Self.bitexact + [out.path])
        return out
    }

    // MARK: Speech

    /// espeak-ng voices, chosen per avatar voice id so each person keeps one voice.
    static let voices = ["en-us", "en-gb", "en-us+f3", "en-gb+m3", "en-us+m7", "en-gb+f4"]

    public static func espeakVoice(for voice: String) -> String {
        guard !voice.isEmpty else { return voices[0] }
        let digest = Digest.sha256(voice)
        return voices[Int(UInt8(digest.prefix(2), radix: 16)!) % voices.count]
    }

    /// The dialogue spoken by espeak-ng, sped up (at most 1.6×) if it runs long, then padded or
    /// trimmed to exactly the scene's length: 44.1 kHz stereo WAV.
    func speech(_ job: Job) async throws -> URL {
        let duration = Double(job.parameters["duration_s"] ?? "") ?? 5
        let text = job.scratch.appendingPathComponent("dialogue.txt")
        try Data((job.parameters["dialogue"] ?? job.prompt).utf8).write(to: text)
        let raw = job.scratch.appendingPathComponent("raw.wav")
        try await espeak.run(["-v", Self.espeakVoice(for: job.parameters["voice"] ?? ""), "-s", "165", "-w", raw.path, "-f", text.path])
        let spoken = try await mediaDuration(raw)
        let tempo = min(1.6, max(1, spoken / max(0.1, duration - 0.2)))
        let out = job.scratch.appendingPathComponent("speech.wav")
        try await ffmpeg.run(["-v", "error", "-y", "-i", raw.path, "-af", String(format: "atempo=%.4f,apad", tempo),
                              "-t", formatDuration(duration), "-ar", "44100", "-ac", "2"] + Self.bitexact + [out.path])
        return out
    }

    // MARK: Clips

    /// Exactly `duration_s` long: a crossfade from the first frame to the last, or a slow push-in
    /// on the first frame; the scene's speech (or silence) as AAC; H.264 in the frame's shape.
    func clip(_ job: Job) async throws -> URL {
        let (w, h) = canvas(job)
        let duration = Double(job.parameters["duration_s"] ?? "5") ?? 5
        let d = formatDuration(duration)
        guard let first = job.inputs(.firstFrame).first else { throw GenerationError(.permanent, provider: .local, message: "a clip needs a first frame") }
        try await checkImage(first.file)
        var arguments = ["-v", "error", "-y", "-loop", "1", "-framerate", "\(Self.fps)", "-t", d, "-i", first.file.path]
        let fit = Self.fill(w, h)
        var video: String
        var next = 1
        if let last = job.inputs(.lastFrame).first {
            try await checkImage(last.file)
            arguments += ["-loop", "1", "-framerate", "\(Self.fps)", "-t", d, "-i", last.file.path]
            next = 2
            video = "[0:v]\(fit),fps=\(Self.fps)[a];[1:v]\(fit),fps=\(Self.fps)[b];"
                + "[a][b]xfade=transition=fade:duration=\(formatDuration(duration * 0.5)):offset=\(formatDuration(duration * 0.25)),format=yuv420p[v]"
        } else {
            let frames = Int((duration * Double(Self.fps)).rounded())
            video = "[0:v]\(fit),zoompan=z='1+0.10*on/\(max(1, frames))':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=\(w)x\(h):fps=\(Self.fps),format=yuv420p[v]"
        }
        return try await encodeClip(job, arguments: arguments, video: video, nextInput: next, duration: d)
    }

    /// The clip's sound and its encoding, shared by local clips and conformed provider clips:
    /// `video` is a filter graph ending in `[v]` over `arguments`' inputs, the next input being
    /// number `nextInput`. The sound is the scene's voice-over, else `existingAudio` (a stream
    /// already among the inputs, such as a provider clip's own sound), else silence.
    func encodeClip(_ job: Job, arguments: [String], video: String, nextInput: Int, existingAudio: String? = nil, duration d: String) async throws -> URL {
        var arguments = arguments, filters = video
        if let voice = job.inputs(.audio).first {
            arguments += ["-i", voice.file.path]
            filters += ";[\(nextInput):a]apad,aresample=44100[aout]"
        } else if let existingAudio {
            filters += ";[\(existingAudio)]apad,aresample=44100[aout]"
        } else {
            arguments += ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo"]
            filters += ";[\(nextInput):a]anull[aout]"
        }
        let out = job.scratch.appendingPathComponent("clip.mp4")
        try await ffmpeg.run(arguments + ["-filter_complex", filters, "-map", "[v]", "-map", "[aout]", "-t", d, "-r", "\(Self.fps)"]
                             + Self.encode + Self.bitexact + [out.path])
        return out
    }

    /// Scales and crops to fill the frame exactly (no bars).
    static func fill(_ w: Int, _ h: Int) -> String {
        "scale=\(w):\(h):force_original_aspect_ratio=increase,crop=\(w):\(h),setsar=1"
    }

    /// All clips in scene order, joined without re-encoding (they share one encoding).
    func combine(_ job: Job) async throws -> URL {
        let clips = job.inputs(.clip)
        guard !clips.isEmpty else { throw GenerationError(.permanent, provider: .local, message: "no clips to combine") }
        let list = job.scratch.appendingPathComponent("clips.txt")
        try Data(clips.map { "file '\($0.file.path.replacingOccurrences(of: "'", with: "'\\''"))'\n" }.joined().utf8).write(to: list)
        let out = job.scratch.appendingPathComponent("final.mp4")
        try await ffmpeg.run(["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list.path, "-c", "copy", "-movflags", "+faststart"]
                             + Self.bitexact + [out.path])
        return out
    }

    // MARK: Helpers

    static let encode = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
                         "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart"]
    static let bitexact = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]

    /// The frame's caption: the frame prompt, else the scene prompt.
    func captionText(_ job: Job) -> String {
        job.parameters["frame_prompt"].flatMap { $0.isEmpty ? nil : $0 } ?? job.parameters["scene_prompt"] ?? job.node
    }

    /// Wraps text to the frame's width and writes it for drawtext's `textfile` (no escaping of
    /// user text inside a filter graph).
    func writeCaption(_ text: String, in folder: URL, width: Int) throws -> URL {
        let perLine = max(16, width / 22)
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > perLine, !line.isEmpty { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        // Two lines fit the caption band (`captionBand`); longer text ends in an ellipsis.
        if lines.count > 2 { lines = [lines[0], String(lines[1].prefix(perLine - 1)) + "…"] }
        let url = folder.appendingPathComponent("caption-\(UUID().uuidString.prefix(6)).txt")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    func drawText(_ file: URL, size: Int, y: String) -> String {
        "drawtext=textfile='\(file.path)':fontcolor=white:fontsize=\(size):box=1:boxcolor=black@0.45:boxborderw=\(size / 2):line_spacing=\(size / 4):x=(w-text_w)/2:y=\(y)"
    }

    /// Refuses unreadable or absurdly large images before ffmpeg tries to decode them.
    func checkImage(_ url: URL) async throws {
        let result: (stdout: Data, stderr: String)
        do {
            result = try await ffprobe.run(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0:s=x", url.path])
        } catch let failure as ToolRunner.Failure {
            throw GenerationError(.permanent, provider: .local, message: "\(url.lastPathComponent) is not a readable image: \(failure.description)")
        }
        let size = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "x").compactMap { Int($0) }
        // ffprobe reports an undecodable image as 0x0 and says why on standard error.
        guard size.count == 2, size[0] > 0, size[1] > 0 else {
            let reason = result.stderr.split(separator: "\n").map { $0.replacingOccurrences(of: #"^\[[^\]]*\] *"#, with: "", options: .regularExpression) }
                .filter { !$0.isEmpty }.suffix(2).joined(separator: "; ")
            throw GenerationError(.permanent, provider: .local, message: "\(url.lastPathComponent) is not a readable image\(reason.isEmpty ? "" : ": " + reason)")
        }
        guard size[0] <= Self.maxImageSide, size[1] <= Self.maxImageSide else {
            throw GenerationError(.permanent, provider: .local, message: "\(url.lastPathComponent) is \(size[0])×\(size[1]) pixels; the local engine takes images up to \(Self.maxImageSide) pixels on a side")
        }
    }

    func mediaDuration(_ url: URL) async throws -> Double {
        let result = try await ffprobe.run(["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", url.path])
        return Double(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    func formatDuration(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}

/// Finds the local engine's tools, or says which Debian package is missing.
public enum LocalEngineLoader {
    public static func make() -> Generator? { LocalEngine() }

    public struct MissingTool: Error, CustomStringConvertible {
        public var tools: [String]
        public var description: String {
            "the local engine needs \(tools.joined(separator: " and ")), which \(tools.count == 1 ? "is" : "are") not on PATH; install the Debian package\(tools.count == 1 ? "" : "s") \(Set(tools.map { $0 == "espeak-ng" ? "espeak-ng" : "ffmpeg" }).sorted().joined(separator: " ")) (apt-get install ffmpeg espeak-ng)"
        }
    }

    public static func preflight(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let missing = ["ffmpeg", "ffprobe", "espeak-ng"].filter { ToolRunner.find($0, environment: environment) == nil }
        if !missing.isEmpty { throw MissingTool(tools: missing) }
    }
}
