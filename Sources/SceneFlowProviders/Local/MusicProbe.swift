import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// Checks a music bed before anything is spent: a regular file, audio by content (ffprobe finds
/// an audio stream), of a usable length (at least a second, at most three hours).
public enum MusicProbe {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Throws `InputFileError` when the file cannot be read (missing, a folder, no permission),
    /// `Problem` when it is not a usable bed.
    /// What `ffprobe -of json` says of the file.
    struct Probe: Decodable {
        struct Stream: Decodable {
            var codecType: String?
            enum CodingKeys: String, CodingKey { case codecType = "codec_type" }
        }
        struct Format: Decodable { var duration: String? }
        var streams: [Stream]?
        var format: Format?
    }

    public static func bed(_ path: String) async throws -> MusicBed {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        _ = try RegularFile.size(url.path)
        guard let ffprobe = ToolRunner.find("ffprobe") else { throw Problem(description: "--music needs ffprobe (Debian: ffmpeg)") }
        let result: (stdout: Data, stderr: String)
        do {
            result = try await ToolRunner(executable: ffprobe).run(["-v", "error", "-select_streams", "a:0", "-show_entries",
                                                                     "stream=codec_type:format=duration", "-of", "json", "file:" + url.path])
        } catch {
            throw Problem(description: "--music \(path) is not audio ffmpeg can read")
        }
        let probe: Probe
        do { probe = try JSONCoding.decoder.decode(Probe.self, from: result.stdout) } catch {
            throw Problem(description: "--music \(path): ffprobe's answer could not be read")
        }
        guard (probe.streams ?? []).contains(where: { $0.codecType == "audio" }) else {
            throw Problem(description: "--music \(path) has no audio stream (checked by content)")
        }
        let seconds = probe.format?.duration.flatMap(Double.init) ?? 0
        guard seconds >= 1 else { throw Problem(description: "--music \(path) is \(String(format: "%.2f", seconds)) s long; a bed needs at least 1 s") }
        guard seconds <= 3 * 3600 else { throw Problem(description: "--music \(path) is over three hours long") }
        return MusicBed(file: url, sha256: try Digest.sha256(fileAt: url), seconds: seconds)
    }
}
