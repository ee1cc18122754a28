import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// Moving media between files and providers' request and response bodies.
enum RemoteMedia {
    /// An image file as base64 with its MIME type (Gemini and Veo inline parts).
    static func base64(_ input: Job.Input, provider: Provider) throws -> (mimeType: String, data: String) {
        guard let type = MediaType.sniff(fileAt: input.file), type.isImage else {
            throw GenerationError(.permanent, provider: provider, message: "\(input.node) is not a PNG, JPEG or WebP image", input: input.node)
        }
        do {
            return (type.mimeType, try Data(contentsOf: input.file).base64EncodedString())
        } catch {
            throw GenerationError(.permanent, provider: provider, message: "cannot read \(input.node): \(ErrorText.describe(error))", input: input.node)
        }
    }

    /// An image file as a `data:` URI: how local images reach fal without an upload step.
    static func dataURI(_ input: Job.Input, provider: Provider) throws -> String {
        let (mime, data) = try base64(input, provider: provider)
        return "data:\(mime);base64,\(data)"
    }

    /// Checks what a provider handed back is what was asked for; an HTML error page saved as
    /// `frame.png` must not reach the cache.
    static func verify(_ file: URL, expect kind: JobKind, provider: Provider) throws {
        let head = (try? FileHandle(forReadingFrom: file)).flatMap { handle in
            defer { try? handle.close() }
            return try? handle.read(upToCount: 64)
        } ?? Data()
        let type = MediaType.sniff([UInt8](head))
        let ok: Bool
        switch kind {
        case .video, .combine: ok = type?.isVideo == true
        case .audio: ok = isAudio([UInt8](head))
        default: ok = type?.isImage == true
        }
        guard ok else {
            try? FileManager.default.removeItem(at: file)
            let what = kind == .video ? "a video" : kind == .audio ? "audio" : "an image"
            throw GenerationError(.transient, provider: provider,
                                  message: "the provider's result is not \(what) (\(head.count) bytes starting \(ProviderClient.snippet(head.prefix(16))))")
        }
    }

    /// MP3 (an ID3 tag or an MPEG frame sync), WAV, Ogg/Opus or raw-enough to be audio.
    static func isAudio(_ b: [UInt8]) -> Bool {
        guard b.count >= 4 else { return false }
        if b[0] == 0x49 && b[1] == 0x44 && b[2] == 0x33 { return true }           // "ID3"
        if b[0] == 0xFF && (b[1] & 0xE0) == 0xE0 { return true }                  // MPEG frame sync
        if Array(b[0..<4]) == Array("RIFF".utf8) || Array(b[0..<4]) == Array("OggS".utf8) { return true }
        return false
    }

    /// A file name in the job's scratch folder with the extension the content type implies.
    static func destination(_ job: Job, kind: JobKind, contentType: String?) -> URL {
        let ext: String
        switch kind {
        case .audio: ext = contentType?.contains("wav") == true ? "wav" : "mp3"
        case .video, .combine: ext = "mp4"
        default: ext = contentType?.contains("jpeg") == true ? "jpg" : contentType?.contains("webp") == true ? "webp" : "png"
        }
        return job.scratch.appendingPathComponent("download.\(ext)")
    }
}

/// Makes a provider's clip into the run's clip: the template's frame size, 25 fps, exactly the
/// scene's length, with the scene's voice-over as its sound (or the model's, or silence), so
/// `final.video` can join every clip without re-encoding. The local engine implements it.
public protocol ClipFinisher: Sendable {
    func finish(clip: URL, work: ClipWork, job: Job) async throws -> URL
}
