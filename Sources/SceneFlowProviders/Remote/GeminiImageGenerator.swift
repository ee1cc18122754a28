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
        var parts: [[String: Any]] = [["text": job.prompt]]
        parts += images.map { ["inlineData": ["mimeType": $0.mimeType, "data": $0.data]] }
        let body: [String: Any] = [
            "contents": [["role": "user", "parts": parts]],
            "generationConfig": [
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": ["aspectRatio": frame.aspectRatio.rawValue],
            ],
        ]
        let endpoint = client.endpoint
        let step = "generateContent"
        let response = try await client.send(try endpoint.request(.post, endpoint.url("/v1beta/models/\(job.model.id):generateContent"), json: body), step: step)
        guard response.isSuccess else { throw GoogleErrors.failure(response, client: client, step: step) }
        let json = try client.object(response, step: step)
        let responseID = json["responseId"] as? String
        let candidate = (json["candidates"] as? [[String: Any]])?.first
        let replyParts = (candidate?["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? []
        for part in replyParts {
            guard let inline = (part["inlineData"] ?? part["inline_data"]) as? [String: Any],
                  let encoded = inline["data"] as? String else { continue }
            guard let data = Data(base64Encoded: encoded) else {
                throw GenerationError(.transient, provider: .gemini, httpStatus: 200, message: "\(step): the image part is not valid base64")
            }
            let mime = (inline["mimeType"] ?? inline["mime_type"]) as? String
            let file = RemoteMedia.destination(job, kind: job.kind, contentType: mime)
            try AtomicFile.write(data, to: file)
            try RemoteMedia.verify(file, expect: job.kind, provider: .gemini)
            return GeneratedOutput(file: file, provider: .gemini, requestID: responseID)
        }
        // A 200 without an image: say why, in Gemini's words.
        let blocked = (json["promptFeedback"] as? [String: Any])?["blockReason"] as? String
        let reason = candidate?["finishReason"] as? String ?? blocked ?? "no candidates"
        var message = "\(step): no image in the answer (finishReason \(reason))"
        if let detail = candidate?["finishMessage"] as? String { message += ": \(detail)" }
        else if let text = replyParts.compactMap({ $0["text"] as? String }).first {
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
        guard let error = ((try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any])?["error"] as? [String: Any] else { return failure }
        let details = error["details"] as? [[String: Any]] ?? []
        // RetryInfo.retryDelay: "58s", "45.8s".
        for detail in details {
            if let delay = detail["retryDelay"] as? String, let seconds = Double(delay.trimmingCharacters(in: CharacterSet(charactersIn: "s"))) {
                failure.retryAfter = seconds
            }
        }
        // QuotaFailure on a per-day quota: retrying within the run is hopeless.
        let quotaIDs = details.flatMap { ($0["violations"] as? [[String: Any]]) ?? [] }.compactMap { $0["quotaId"] as? String }
        if response.status == 429, let daily = quotaIDs.first(where: { $0.contains("PerDay") }) {
            failure.kind = .permanent
            failure.retryAfter = nil
            failure.message += " (daily quota \(daily) exhausted; it resets tomorrow, so this is not retried)"
        }
        return failure
    }
}
