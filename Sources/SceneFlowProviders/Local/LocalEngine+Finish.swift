import Foundation
import SceneFlowCore

extension LocalEngine: ClipFinisher {
    /// A provider's clip made into the run's clip format (what `clip(_:)` makes locally): the
    /// template's frame, 25 fps, H.264/AAC, exactly `duration_s` long (the last frame held if the
    /// model's clip is short), and for sound the scene's voice-over, else the model's own
    /// sound, else silence. `final.video` then joins clips without re-encoding.
    public func finish(clip: URL, job: Job) async throws -> URL {
        do {
            let (w, h) = canvas(job)
            let duration = Double(job.parameters["duration_s"] ?? "5") ?? 5
            let d = formatDuration(duration)
            var arguments = ["-v", "error", "-y", "-i", clip.path]
            var filters = "[0:v]scale=\(w):\(h):force_original_aspect_ratio=increase,crop=\(w):\(h),setsar=1,fps=\(Self.fps),"
                + "tpad=stop_mode=clone:stop_duration=\(d),format=yuv420p[v]"
            if let voice = job.inputs(.audio).first {
                arguments += ["-i", voice.file.path]
                filters += ";[1:a]apad,aresample=44100[aout]"
            } else if try await hasAudio(clip) {
                filters += ";[0:a]apad,aresample=44100[aout]"
            } else {
                arguments += ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo"]
                filters += ";[1:a]anull[aout]"
            }
            let out = job.scratch.appendingPathComponent("clip.mp4")
            try await ffmpeg.run(arguments + ["-filter_complex", filters, "-map", "[v]", "-map", "[aout]", "-t", d, "-r", "\(Self.fps)"]
                                 + Self.encode + Self.bitexact + [out.path])
            return out
        } catch let failure as ToolRunner.Failure {
            throw GenerationError(.permanent, provider: job.model.provider, message: "the provider's clip cannot be conformed: \(failure.description)")
        }
    }

    func hasAudio(_ url: URL) async throws -> Bool {
        let result = try await ffprobe.run(["-v", "error", "-select_streams", "a", "-show_entries", "stream=index", "-of", "csv=p=0", url.path])
        return !String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
}
