import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The input JSON of each fal model SceneFlow drives (fal-js `types/endpoints.ts`), built from
/// a job. The body is the model input at top level, with no wrapper.
enum FalInputs {
    /// fal's image-edit models cap the prompt at 2,500 characters.
    static let maxPrompt = 2500

    static func body(for job: Job) throws -> FalInput {
        let prompt = String(job.prompt.prefix(maxPrompt))
        switch job.work {
        case .frame(let frame):
            let ratio = frame.aspectRatio.rawValue
            let images = try frame.images.map { try RemoteMedia.dataURI($0, provider: .fal) }
            guard !images.isEmpty else {
                throw GenerationError(.permanent, provider: .fal, message: "\(job.model.id) edits images and this job has none")
            }
            var body = FalInput(prompt: prompt)
            body.imageURLs = images
            body.numImages = 1
            body.outputFormat = "png"
            body.aspectRatio = ratio
            if job.model.id == "fal-ai/kling-image/o1" { body.resolution = "1K" }
            if acceptsSeed(job.model.id) { body.seed = job.seed ?? (job.take > 1 ? job.take : nil) }
            return body
        case .clip(let clip):
            return try videoBody(job, clip, prompt: prompt)
        case .speech, .cut:
            throw GenerationError(.permanent, provider: .fal, message: "\(job.model.id) cannot make \(job.kind.noun)")
        }
    }

    private static func videoBody(_ job: Job, _ clip: ClipWork, prompt: String) throws -> FalInput {
        let ratio = clip.aspectRatio.rawValue
        let first = clip.first, last = clip.last
        let seconds = Int(clip.seconds)
        // With a voice-over from the audio node, the model's own sound is not wanted (and costs more).
        let generateAudio = clip.voiceOver == nil
        var body = FalInput(prompt: prompt)
        body.generateAudio = generateAudio
        switch job.model.id {
        case "fal-ai/kling-video/v2.6/pro/image-to-video":
            body.startImageURL = try RemoteMedia.dataURI(first, provider: .fal)
            if let last { body.endImageURL = try RemoteMedia.dataURI(last, provider: .fal) }
            body.duration = String(seconds)          // "5" or "10", a string
            body.negativePrompt = "blur, distort, and low quality"
        case let id where id.hasSuffix("first-last-frame-to-video"):
            guard let last else {
                throw GenerationError(.permanent, provider: .fal, message: "\(id) interpolates between two frames and this scene declares no last frame")
            }
            body.firstFrameURL = try RemoteMedia.dataURI(first, provider: .fal)
            body.lastFrameURL = try RemoteMedia.dataURI(last, provider: .fal)
            body.duration = "\(seconds)s"
            body.aspectRatio = ratio
            body.resolution = "720p"
        default: // fal-ai/veo3.1/image-to-video, fal-ai/veo3/image-to-video
            body.imageURL = try RemoteMedia.dataURI(first, provider: .fal)
            body.duration = "\(seconds)s"
            body.aspectRatio = ratio
            body.resolution = "720p"
        }
        if acceptsSeed(job.model.id) { body.seed = job.seed ?? (job.take > 1 ? job.take : nil) }
        return body
    }

    /// Models whose documented input has `seed` (`docs/providers.md`): a new take passes its
    /// number, so takes differ and each can be made again. Kling O1 and Kling 2.6 have none;
    /// they sample anew on every request.
    static func acceptsSeed(_ model: String) -> Bool {
        model.hasPrefix("fal-ai/nano-banana") || model == "fal-ai/gemini-25-flash-image/edit" || model.hasPrefix("fal-ai/veo3.1/")
    }

    /// The media URL and content type in a model's output: `{images:[{url}]}` or `{video:{url}}`.
    static func media(in output: FalOutput, kind: JobKind) -> (url: String, contentType: String?)? {
        guard let media = kind == .video ? output.video : output.images?.first ?? output.image else { return nil }
        return (media.url, media.contentType)
    }

    /// The input a fal validation error is about: a 422's `detail[].loc` names the field
    /// (`["body", "image_urls", 1]`, `["body", "start_image_url"]`), which this job filled from
    /// one of its inputs. Nil when the error is about something else (the prompt, the duration).
    static func blamedInput(_ body: Data, job: Job) -> String? {
        struct Detail: Decodable {
            struct Item: Decodable { var loc: [Location]? }
            var detail: [Item]?
        }
        enum Location: Decodable {
            case name(String), index(Int)
            init(from decoder: Decoder) throws {
                let value = try decoder.singleValueContainer()
                if let index = try? value.decode(Int.self) { self = .index(index) } else { self = .name(try value.decode(String.self)) }
            }
        }
        guard let items = (try? JSONCoding.decoder.decode(Detail.self, from: body))?.detail else { return nil }
        for item in items {
            let loc = item.loc ?? []
            for (position, part) in loc.enumerated() {
                guard case .name(let field) = part else { continue }
                switch (field, job.work) {
                case ("image_urls", .frame(let frame)):
                    if position + 1 < loc.count, case .index(let index) = loc[position + 1], frame.images.indices.contains(index) {
                        return frame.images[index].node
                    }
                case ("start_image_url", .clip(let clip)), ("first_frame_url", .clip(let clip)), ("image_url", .clip(let clip)):
                    return clip.first.node
                case ("end_image_url", .clip(let clip)), ("last_frame_url", .clip(let clip)):
                    return clip.last?.node
                default:
                    continue
                }
            }
        }
        return nil
    }
}
