import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The input JSON of each fal model SceneFlow drives (fal-js `types/endpoints.ts`), built from
/// a job. The body is the model input at top level, with no wrapper.
enum FalInputs {
    /// fal's image-edit models cap the prompt at 2,500 characters.
    static let maxPrompt = 2500

    static func body(for job: Job) throws -> [String: Any] {
        let prompt = String(job.prompt.prefix(maxPrompt))
        switch job.work {
        case .frame(let frame):
            let ratio = frame.aspectRatio.rawValue
            let images = try frame.images.map { try RemoteMedia.dataURI($0, provider: .fal) }
            guard !images.isEmpty else {
                throw GenerationError(.permanent, provider: .fal, message: "\(job.model.id) edits images and this job has none")
            }
            var body: [String: Any] = ["prompt": prompt, "image_urls": images, "num_images": 1, "output_format": "png"]
            switch job.model.id {
            case "fal-ai/kling-image/o1":
                body["aspect_ratio"] = ratio
                body["resolution"] = "1K"
            default:
                body["aspect_ratio"] = ratio
            }
            if job.take > 1, acceptsSeed(job.model.id) { body["seed"] = job.take }
            return body
        case .clip(let clip):
            return try videoBody(job, clip, prompt: prompt)
        case .speech, .cut:
            throw GenerationError(.permanent, provider: .fal, message: "\(job.model.id) cannot make \(job.kind.noun)")
        }
    }

    private static func videoBody(_ job: Job, _ clip: ClipWork, prompt: String) throws -> [String: Any] {
        let ratio = clip.aspectRatio.rawValue
        let first = clip.first, last = clip.last
        let seconds = Int(clip.seconds)
        // With a voice-over from the audio node, the model's own sound is not wanted (and costs more).
        let generateAudio = clip.voiceOver == nil
        var body: [String: Any] = ["prompt": prompt]
        switch job.model.id {
        case "fal-ai/kling-video/v2.6/pro/image-to-video":
            body["start_image_url"] = try RemoteMedia.dataURI(first, provider: .fal)
            if let last { body["end_image_url"] = try RemoteMedia.dataURI(last, provider: .fal) }
            body["duration"] = String(seconds)          // "5" or "10", a string
            body["generate_audio"] = generateAudio
            body["negative_prompt"] = "blur, distort, and low quality"
        case let id where id.hasSuffix("first-last-frame-to-video"):
            guard let last else {
                throw GenerationError(.permanent, provider: .fal, message: "\(id) interpolates between two frames and this scene declares no last frame")
            }
            body["first_frame_url"] = try RemoteMedia.dataURI(first, provider: .fal)
            body["last_frame_url"] = try RemoteMedia.dataURI(last, provider: .fal)
            body["duration"] = "\(seconds)s"
            body["aspect_ratio"] = ratio
            body["generate_audio"] = generateAudio
            body["resolution"] = "720p"
        default: // fal-ai/veo3.1/image-to-video, fal-ai/veo3/image-to-video
            body["image_url"] = try RemoteMedia.dataURI(first, provider: .fal)
            body["duration"] = "\(seconds)s"
            body["aspect_ratio"] = ratio
            body["generate_audio"] = generateAudio
            body["resolution"] = "720p"
        }
        if job.take > 1, acceptsSeed(job.model.id) { body["seed"] = job.take }
        return body
    }

    /// Models whose documented input has `seed` (`../shared/providers.md`): a new take passes its
    /// number, so takes differ and each can be made again. Kling O1 and Kling 2.6 have none;
    /// they sample anew on every request.
    static func acceptsSeed(_ model: String) -> Bool {
        model.hasPrefix("fal-ai/nano-banana") || model == "fal-ai/gemini-25-flash-image/edit" || model.hasPrefix("fal-ai/veo3.1/")
    }

    /// The media URL and content type in a model's output: `{images:[{url}]}` or `{video:{url}}`.
    static func media(in output: [String: Any], kind: JobKind) -> (url: String, contentType: String?)? {
        if kind == .video {
            guard let video = output["video"] as? [String: Any], let url = video["url"] as? String else { return nil }
            return (url, video["content_type"] as? String)
        }
        guard let image = (output["images"] as? [[String: Any]])?.first ?? output["image"] as? [String: Any],
              let url = image["url"] as? String else { return nil }
        return (url, image["content_type"] as? String)
    }
}
