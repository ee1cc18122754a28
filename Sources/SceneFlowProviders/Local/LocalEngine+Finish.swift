import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

extension LocalEngine: ClipFinisher {
    /// A provider's clip made into the run's clip format (what `clip(_:)` makes locally): the
    /// template's frame, 25 fps, H.264/AAC, exactly `duration_s` long (the last frame held if the
    /// model's clip is short), and for sound the scene's voice-over, else the model's own
    /// sound, else silence. `final.video` then joins clips without re-encoding.
    public func finish(clip: URL, work: ClipWork, job: Job) async throws -> URL {
        do {
            let voice = work.voiceOver?.file.path
            // The model's own sound is probed for only when there is no voice-over to use.
            let ownSound = voice == nil ? try await hasAudio(clip) : false
            try await ffmpeg.run(commands(work.aspectRatio, resolution: work.resolution)
                .conform(clip: clip.path, voice: voice, ownSound: ownSound, seconds: work.seconds, output: "clip.mp4"), in: job.scratch)
            return job.scratch.appendingPathComponent("clip.mp4")
        } catch let failure as ToolRunner.Failure {
            throw GenerationError(.permanent, provider: job.model.provider, message: "the provider's clip cannot be conformed: \(failure.description)")
        }
    }

    func hasAudio(_ url: URL) async throws -> Bool {
        let result = try await ffprobe.run(["-v", "error", "-select_streams", "a", "-show_entries", "stream=index", "-of", "csv=p=0", "file:" + url.path])
        return !String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
}
