import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// Gemini image editing (`gemini-2.5-flash-image`) through `generateContent`: the prompt and
/// the input images go in as inline base64 parts, and the image comes back the same way.
///
/// An HTTP 200 is not success: Gemini often answers with text only, or with `finishReason`
/// `NO_IMAGE` / `IMAGE_SAFETY`; that is a failure carrying the reason. A 429's wait is in the
/// body's `RetryInfo.retryDelay` (there is no Retry-After header), and a per-day quota is not
/// retried at all: it will not reset for hours.
public struct GeminiImageGenerator: Generator {
    let client: ProviderClient

    public init(endpoint: ProviderEndpoint, settings: RemoteSettings = RemoteSettings(), http: HTTPClient = .shared) {
        client = ProviderClient(endpoint: endpoint, settings: settings, http: http)
    }

    /// Refusals: the same request will be refused again.
    static let refusals: Set<String> = ["SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"]

    public func generate(_ job: Job) async throws -> GeneratedOutput {
        guard case .frame(let frame) = job.work else {
            throw GenerationError(.permanent, provider: .gemini, message: "\(job.model.id) cannot make \(job.kind.noun)")
        }
        let images = try frame.images.map { try RemoteMedia.base64($0, provider: .gemini) }
        let parts = [GooglePart(text: job.prompt)] + images.map { GooglePart(inlineData: GoogleInlineData(mimeType: $0.mimeType, data: $0.data)) }
        let body = GeminiRequest(contents: [.init(parts: parts)],
                                 generationConfig: .init(imageConfig: .init(aspectRatio: frame.aspectRatio.rawValue)))
        let endpoint = client.endpoint
        let step = "generateContent"
        let response = try await client.send(try endpoint.request(.post, endpoint.url("/v1beta/models/\(job.model.id):generateContent"), json: body), step: step)
        guard response.isSuccess else { throw GoogleErrors.failure(response, client: client, step: step) }
        let answer = try client.decode(GeminiResponse.self, response, step: step)
        let candidate = answer.candidates?.first
        let replyParts = candidate?.content?.parts ?? []
        for part in replyParts {
            guard let inline = part.inlineData else { continue }
            guard let data = Data(base64Encoded: inline.data) else {
                throw GenerationError(.transient, provider: .gemini, httpStatus: 200, message: "\(step): the image part is not valid base64")
            }
            let file = RemoteMedia.destination(job, kind: job.kind, contentType: inline.mimeType)
            try AtomicFile.write(data, to: file)
            try RemoteMedia.verify(file, expect: job.kind, provider: .gemini)
            return GeneratedOutput(file: file, provider: .gemini, requestID: answer.responseId)
        }
        // A 200 without an image: say why, in Gemini's words.
        let blocked = answer.promptFeedback?.blockReason
        let reason = candidate?.finishReason ?? blocked ?? "no candidates"
        var message = "\(step): no image in the answer (finishReason \(reason))"
        if let detail = candidate?.finishMessage { message += ": \(detail)" }
        else if let text = replyParts.compactMap(\.text).first {
            message += "; the model replied: \"\(String(text.prefix(200)))\""
        }
        let refused = Self.refusals.contains(reason) || blocked != nil
        throw GenerationError(refused ? .permanent : .transient, provider: .gemini, httpStatus: 200, message: endpoint.redact(message))
    }
}

/// Google API errors: `{"error":{"code","message","status","details":[...]}}`.
enum GoogleErrors {
    static func failure(_ response: HTTPResponse, client: ProviderClient, step: String) -> GenerationError {
        var failure = client.failure(response, step: step)
        // Not Google's documented shape: the generic failure says what came.
        guard let error = try? JSONCoding.decoder.decode(GoogleErrorBody.self, from: response.body).error else { return failure }
        let details = error.details ?? []
        // RetryInfo.retryDelay: "58s", "45.8s".
        for detail in details {
            if let delay = detail.retryDelay, let seconds = Double(delay.trimmingCharacters(in: CharacterSet(charactersIn: "s"))) {
                failure.retryAfter = seconds
            }
        }
        // QuotaFailure on a per-day quota: retrying within the run is hopeless.
        let quotaIDs = details.flatMap { $0.violations ?? [] }.compactMap(\.quotaId)
        if response.status == 429, let daily = quotaIDs.first(where: { $0.contains("PerDay") }) {
            failure.kind = .permanent
            failure.retryAfter = nil
            failure.message += " (daily quota \(daily) exhausted; it resets tomorrow, so this is not retried)"
        }
        return failure
    }
}
