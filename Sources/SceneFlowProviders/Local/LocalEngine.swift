import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

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
            var words: [TimedWord]?
            switch job.work {
            case .frame(let frame): file = try await self.frame(frame, job: job)
            case .speech(let speech): (file, words) = try await self.speech(speech, job: job)
            case .clip(let clip): file = try await self.clip(clip, job: job)
            case .cut(let cut): file = try await self.cut(cut, job: job)
            }
            var output = GeneratedOutput(file: file, provider: .local, requestID: nil, cost: .zero)
            output.words = words
            return output
        } catch let failure as ToolRunner.Failure {
            throw GenerationError(.permanent, provider: .local, message: failure.description)
        } catch let error as GenerationError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw GenerationError(.permanent, provider: .local, message: ErrorText.describe(error))
        }
    }

    func commands(_ ratio: AspectRatio, resolution: Int) -> LocalCommands {
        let size = ratio.pixelSize(shortSide: resolution)
        return LocalCommands(width: size.width, height: size.height)
    }

    /// Runs ffmpeg in the job's scratch folder (where every relative name of `LocalCommands` lives).
    private func runFFmpeg(_ arguments: [String], _ job: Job) async throws {
        try await ffmpeg.run(arguments, in: job.scratch)
    }

    // MARK: Frames

    /// A first frame composed from its images, a last frame derived from the first (tighter,
    /// warmer), or a camera angle re-framing its source; the caption drawn on top. A take after
    /// the first varies the framing and light, so takes can be told apart.
    func frame(_ work: FrameWork, job: Job) async throws -> URL {
        let commands = commands(work.aspectRatio, resolution: work.resolution)
        try writeCaption(work.caption, in: job.scratch, width: commands.width)
        var arguments: [String]
        switch work.kind {
        case .lastFrame:
            guard let first = work.images(.firstFrame).first else { throw GenerationError(.permanent, provider: .local, message: "a last frame needs its scene's first frame") }
            arguments = commands.lastFrame(first: try await image(first), output: "frame.png")
        case .cameraAngle:
            guard let source = work.images(.cameraAngle).first else { throw GenerationError(.permanent, provider: .local, message: "a camera angle needs a source frame") }
            arguments = commands.cameraAngle(source: try await image(source), camera: work.camera ?? "", output: "frame.png")
        default:
            arguments = commands.firstFrame(
                background: try await images(work.images(.background).prefix(1)).first, avatar: try await images(work.images(.avatar).prefix(1)).first,
                products: try await images(work.images(.productImage)), references: try await images(work.images(.referenceImage)),
                logos: try await images(work.images(.logo)), output: "frame.png")
        }
        try await runFFmpeg(arguments, job)
        if job.take > 1 {
            try await runFFmpeg(commands.varyTake(job.take, input: "frame.png", output: "take.png"), job)
            return job.scratch.appendingPathComponent("take.png")
        }
        return job.scratch.appendingPathComponent("frame.png")
    }

    // MARK: Speech

    public static func espeakVoice(for voice: String) -> String { LocalCommands.espeakVoice(for: voice) }

    /// The dialogue spoken by espeak-ng, sped up (at most 1.6×) if it runs long, then padded or
    /// trimmed to exactly the scene's length: 44.1 kHz stereo WAV. The words' times are measured
    /// in the same ffmpeg pass (`SpeechTiming`: where the voice is heard, `silencedetect`), for the captions.
    func speech(_ work: SpeechWork, job: Job) async throws -> (URL, [TimedWord]?) {
        try Data(work.text.utf8).write(to: job.scratch.appendingPathComponent("dialogue.txt"))
        try await espeak.run(LocalCommands.espeak(voice: work.voice ?? "", textFile: "dialogue.txt", output: "raw.wav"), in: job.scratch)
        let spoken = try await mediaDuration(job.scratch.appendingPathComponent("raw.wav"))
        let tempo = min(1.6, max(1, spoken / max(0.1, work.seconds - 0.2)))
        let log = try await ffmpeg.run(LocalCommands.fitSpeech(raw: job.scratch.appendingPathComponent("raw.wav").path, tempo: tempo,
                                                               duration: LocalCommands.seconds(work.seconds), output: "speech.wav"),
                                       in: job.scratch).stderr
        let words = SpeechTiming.words(work.text, voiced: SpeechTiming.voicedSpans(silenceLog: log, length: work.seconds))
        return (job.scratch.appendingPathComponent("speech.wav"), words.isEmpty ? nil : words)
    }

    // MARK: Clips

    func clip(_ work: ClipWork, job: Job) async throws -> URL {
        let first = try await image(work.first)
        let last = try await images(work.last.map { [$0] } ?? []).first
        let arguments = commands(work.aspectRatio, resolution: work.resolution).clip(
            first: first, last: last, voice: work.voiceOver?.file.path, seconds: work.seconds, output: "clip.mp4")
        try await runFFmpeg(arguments, job)
        return job.scratch.appendingPathComponent("clip.mp4")
    }

    /// All clips in scene order, joined without re-encoding (they share one encoding), then
    /// finished (`Finishing`): the sound mixed with the music bed when there is one, levelled to
    /// −14 LUFS ±0.5 with true peaks at most −1 dBTP, measured on the encoded sound; the captions
    /// burned in on request;
    /// the provenance written into the file's metadata.
    func cut(_ work: CutWork, job: Job) async throws -> URL {
        guard !work.clips.isEmpty else { throw GenerationError(.permanent, provider: .local, message: "no clips to combine") }
        let list = job.scratch.appendingPathComponent("clips.txt")
        try Data(LocalCommands.concatList(work.clips.map(\.file.path)).utf8).write(to: list)
        try await runFFmpeg(LocalCommands.combine(list: list.path, output: "joined.mp4"), job)
        let mix = CutMix(work: work, commands: commands(work.aspectRatio, resolution: work.resolution))
        if !work.burnedCaptions.isEmpty {
            try Data(mix.subtitles().utf8).write(to: job.scratch.appendingPathComponent(CutMix.subtitleFile))
        }
        // Measure the mix; level it, encode it and measure what ships, correcting the gain (and,
        // for a peaky mix, the limiter's ceiling) until the loudness is within the tolerance;
        // then finish. A cut with no sound at all (every scene silent, no music) stays silent.
        func loudness(_ arguments: [String]) async throws -> CutMix.Loudness? {
            do { return CutMix.Loudness(log: try await ffmpeg.run(arguments, in: job.scratch).stderr) } catch let failure as ToolRunner.Failure {
                throw GenerationError(.permanent, provider: .local, message: "the cut's loudness cannot be measured: \(failure.description)")
            }
        }
        var gain = try await loudness(mix.measure(input: "joined.mp4")).map { CutMix.target.integrated - $0.integratedValue }
        var ceiling = CutMix.ceiling
        var unsettled: String?
        for pass in 1...CutMix.maxPasses {
            try await runFFmpeg(mix.level(gain: gain, ceiling: ceiling), job)
            try await runFFmpeg(mix.encodeAudio(), job)
            guard let applied = gain, let shipped = try await loudness(CutMix.measure(file: CutMix.audioFile)) else { break }
            var peaks = [shipped.truePeakValue]
            if mix.hasStems {
                for track in 1...CutMix.stems.count {
                    if let stem = try await loudness(CutMix.measure(file: CutMix.audioFile, track: track)) { peaks.append(stem.truePeakValue) }
                }
            }
            let miss = CutMix.target.integrated - shipped.integratedValue
            let over = (peaks.max() ?? 0) - CutMix.target.truePeak
            if abs(miss) <= CutMix.settle && over <= 0 { unsettled = nil; break }
            // Outside the promise after the last pass: the cut is not delivered as if it were within it.
            unsettled = abs(miss) <= CutMix.target.tolerance && over <= 0 ? nil
                : String(format: "%.1f LUFS, true peak %.1f dBTP (the promise: %.0f LUFS ±%.1f, at most %.0f dBTP)", shipped.integratedValue,
                         peaks.max() ?? 0, CutMix.target.integrated, CutMix.target.tolerance, CutMix.target.truePeak)
            if pass == CutMix.maxPasses { break }
            gain = applied + miss
            if over > 0 { ceiling = max(CutMix.lowestCeiling, ceiling - over - 0.2) }
        }
        if let unsettled {
            throw GenerationError(.permanent, provider: .local, message: "the cut's sound could not be brought to the promised loudness: \(unsettled)")
        }
        try await runFFmpeg(mix.finish(input: "joined.mp4", output: "final.mp4"), job)
        return job.scratch.appendingPathComponent("final.mp4")
    }

    // MARK: Helpers

    /// An input image checked before it is composited: type, dimensions and structure
    /// (`ImageCheck`), then every pixel decoded (`ImageDecoding`), so an image ffmpeg would drop
    /// from a frame without a word fails the job instead, naming the input.
    func image(_ input: Job.Input) async throws -> ImageFile {
        let info: ImageInfo
        do { info = try ImageCheck.inspect(path: input.file.path) } catch {
            throw GenerationError(.permanent, provider: .local, message: "\(input.node): \(error.reason)",
                                  input: input.node.contains(":") ? input.node : nil)
        }
        if let problem = await ImageDecoding.shared.problem(input.file) {
            throw GenerationError(.permanent, provider: .local, message: "\(input.node): \(problem)", input: input.node.contains(":") ? input.node : nil)
        }
        return ImageFile(path: input.file.path, type: info.type)
    }

    func images(_ inputs: some Sequence<Job.Input>) async throws -> [ImageFile] {
        var files: [ImageFile] = []
        for input in inputs { files.append(try await image(input)) }
        return files
    }

    /// Wraps text to the frame's width (at most two lines, which fit the caption band) and writes
    /// it as the job's `caption.txt`.
    func writeCaption(_ text: String, in folder: URL, width: Int) throws {
        try Data(Self.wrapCaption(text, width: width).utf8).write(to: folder.appendingPathComponent(LocalCommands.captionFile))
    }

    static func wrapCaption(_ text: String, width: Int) -> String {
        let perLine = max(16, width / 22)
        var lines: [String] = [], line = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            if line.count + word.count + 1 > perLine, !line.isEmpty { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        if lines.count > 2 { lines = [lines[0], String(lines[1].prefix(perLine - 1)) + "…"] }
        return lines.map { String($0.prefix(perLine * 2)) }.joined(separator: "\n")
    }

    func mediaDuration(_ url: URL) async throws -> Double {
        let result = try await ffprobe.run(["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", "file:" + url.path])
        return Double(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
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
