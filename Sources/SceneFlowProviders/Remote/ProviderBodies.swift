import Foundation

// The documented request and response bodies of the providers (`docs/providers.md`), as
// `Codable` types: what SceneFlow sends is built as one of these and encoded once
// (`JSONCoding`), what it reads is decoded into one, and a field that is not there or of
// another type is a clear error, not a silent `nil`. Optional fields a request leaves out are
// not sent.

// MARK: fal's queue API

/// A fal model's input: the model input at top level, with no wrapper. Each model reads the
/// fields its own schema documents (`FalInputs` fills them per model).
struct FalInput: Encodable, Equatable {
    var prompt: String
    var imageURLs: [String]?
    var imageURL: String?
    var startImageURL: String?
    var endImageURL: String?
    var firstFrameURL: String?
    var lastFrameURL: String?
    var numImages: Int?
    var outputFormat: String?
    var aspectRatio: String?
    var resolution: String?
    /// `"5"` for Kling, `"8s"` for Veo: a string either way.
    var duration: String?
    var generateAudio: Bool?
    var negativePrompt: String?
    var seed: Int?

    init(prompt: String) { self.prompt = prompt }

    enum CodingKeys: String, CodingKey {
        case prompt, resolution, duration, seed
        case imageURLs = "image_urls", imageURL = "image_url", startImageURL = "start_image_url", endImageURL = "end_image_url"
        case firstFrameURL = "first_frame_url", lastFrameURL = "last_frame_url", numImages = "num_images", outputFormat = "output_format"
        case aspectRatio = "aspect_ratio", generateAudio = "generate_audio", negativePrompt = "negative_prompt"
    }
}

/// The answer to a submit: the request id and the URLs to use as given.
struct FalSubmitted: Decodable {
    var requestID: String
    var statusURL: String
    var responseURL: String
    var cancelURL: String?
    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", statusURL = "status_url", responseURL = "response_url", cancelURL = "cancel_url"
    }
}

/// A status poll's answer (`IN_QUEUE`, `IN_PROGRESS`, `COMPLETED`).
struct FalStatus: Decodable {
    var status: String
}

/// A model's output: `{images: [{url}]}`, `{image: {url}}` or `{video: {url}}`.
struct FalOutput: Decodable {
    struct Media: Decodable {
        var url: String
        var contentType: String?
        enum CodingKeys: String, CodingKey { case url; case contentType = "content_type" }
    }
    var images: [Media]?
    var image: Media?
    var video: Media?
}

// MARK: Gemini (generateContent) and Veo (predictLongRunning), Google's API

/// Inline bytes, base64, both ways.
struct GoogleInlineData: Codable {
    var mimeType: String?
    var data: String
}

/// A part of a message: text or inline data. Google answers in camelCase, and sometimes in
/// snake_case (`inline_data`, `mime_type`): both are read.
struct GooglePart: Codable {
    var text: String?
    var inlineData: GoogleInlineData?

    init(text: String) { self.text = text }
    init(inlineData: GoogleInlineData) { self.inlineData = inlineData }

    enum CodingKeys: String, CodingKey { case text, inlineData, inlineDataSnake = "inline_data" }
    enum DataKeys: String, CodingKey { case mimeType, mimeTypeSnake = "mime_type", data }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        let key: CodingKeys? = c.contains(.inlineData) ? .inlineData : c.contains(.inlineDataSnake) ? .inlineDataSnake : nil
        if let key {
            let inline = try c.nestedContainer(keyedBy: DataKeys.self, forKey: key)
            inlineData = GoogleInlineData(mimeType: try inline.decodeIfPresent(String.self, forKey: .mimeType)
                                              ?? inline.decodeIfPresent(String.self, forKey: .mimeTypeSnake),
                                          data: try inline.decode(String.self, forKey: .data))
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(inlineData, forKey: .inlineData)
    }
}

/// `models/{model}:generateContent`'s body.
struct GeminiRequest: Encodable {
    struct Content: Encodable {
        var role = "user"
        var parts: [GooglePart]
    }
    struct GenerationConfig: Encodable {
        struct ImageConfig: Encodable { var aspectRatio: String }
        var responseModalities = ["TEXT", "IMAGE"]
        var imageConfig: ImageConfig
    }
    var contents: [Content]
    var generationConfig: GenerationConfig
}

/// Its answer: candidates with parts, or a prompt blocked.
struct GeminiResponse: Decodable {
    struct Candidate: Decodable {
        struct Content: Decodable { var parts: [GooglePart]? }
        var content: Content?
        var finishReason: String?
        var finishMessage: String?
    }
    struct PromptFeedback: Decodable { var blockReason: String? }
    var responseId: String?
    var candidates: [Candidate]?
    var promptFeedback: PromptFeedback?
}

/// `models/{model}:predictLongRunning`'s body for Veo.
struct VeoRequest: Encodable {
    struct Image: Encodable {
        var bytesBase64Encoded: String
        var mimeType: String
    }
    struct Instance: Encodable {
        var prompt: String
        var image: Image
        var lastFrame: Image?
    }
    struct Parameters: Encodable {
        var aspectRatio: String
        var durationSeconds: Int
        var sampleCount = 1
    }
    var instances: [Instance]
    var parameters: Parameters
}

/// A long-running operation: its name, and when `done`, its error or its response.
struct VeoOperation: Decodable {
    struct Failure: Decodable {
        var code: Int?
        var message: String?
    }
    struct Response: Decodable {
        struct Generated: Decodable {
            struct Sample: Decodable {
                struct Video: Decodable { var uri: String? }
                var video: Video?
            }
            var generatedSamples: [Sample]?
            var raiMediaFilteredCount: Int?
            var raiMediaFilteredReasons: [String]?
        }
        var generateVideoResponse: Generated?
    }
    var name: String?
    var done: Bool?
    var error: Failure?
    var response: Response?
}

/// `{"error": {"code", "message", "status", "details": [...]}}`.
struct GoogleErrorBody: Decodable {
    struct Detail: Decodable {
        struct Violation: Decodable { var quotaId: String? }
        var retryDelay: String?
        var violations: [Violation]?
    }
    struct Failure: Decodable {
        var code: Int?
        var message: String?
        var status: String?
        var details: [Detail]?
    }
    var error: Failure
}

// MARK: ElevenLabs

/// `text-to-speech/{voice}/with-timestamps`'s body.
struct ElevenLabsRequest: Encodable {
    var text: String
    var modelID: String
    /// A new take asks for another reading; the first leaves it unset.
    var seed: Int?
    enum CodingKeys: String, CodingKey { case text, seed; case modelID = "model_id" }
}

/// Its answer: the MP3 in base64 and the characters' times.
struct ElevenLabsSpeech: Decodable {
    struct Alignment: Decodable {
        var characters: [String]
        var characterStartTimesSeconds: [Double]
        var characterEndTimesSeconds: [Double]
        enum CodingKeys: String, CodingKey {
            case characters
            case characterStartTimesSeconds = "character_start_times_seconds"
            case characterEndTimesSeconds = "character_end_times_seconds"
        }
    }
    var audioBase64: String
    var alignment: Alignment?
    enum CodingKeys: String, CodingKey { case alignment; case audioBase64 = "audio_base64" }
}

/// `{"detail": {"status", "message"}}`.
struct ElevenLabsErrorBody: Decodable {
    struct Detail: Decodable {
        var status: String?
        var message: String?
    }
    var detail: Detail?
}
