import Foundation
import SceneFlowCore
import SceneFlowHTTP

/// ElevenLabs text-to-speech: `POST /v1/text-to-speech/{voice_id}?output_format=mp3_44100_128`
/// with the dialogue and the model's `model_id`; the answer is the MP3 itself, which the clip
/// step muxes under the scene's video.
///
/// ElevenLabs rejects work over a plan's concurrency with 429 `too_many_concurrent_requests`;
/// its docs say to queue on the client side, so this generator lowers its own gate to what
/// the account allows (the `maximum-concurrent-requests` header when sent) and retries. A 429
/// `system_busy` is their overload: back off and retry, the gate unchanged.
public struct ElevenLabsGenerator: Generator {
    let client: ProviderClient
    let gate: AdaptiveGate

    static let outputFormat = "mp3_44100_128"

    public init(endpoint: ProviderEndpoint, settings: RemoteSettings = RemoteSettings(), http: HTTPClient = .shared) {
        var settings = settings
        settings.requestTimeout = max(settings.requestTimeout, 240)
        client = ProviderClient(endpoint: endpoint, settings: settings, http: http)
        gate = AdaptiveGate()
    }

    public func generate(_ job: Job) async throws -> GeneratedOutput {
        guard case .speech(let speech) = job.work else {
            throw GenerationError(.permanent, provider: .elevenlabs, message: "\(job.model.id) cannot make \(job.kind.noun)")
        }
        let text = speech.text
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GenerationError(.permanent, provider: .elevenlabs, message: "\(job.node) has no dialogue to speak")
        }
        guard let voice = speech.voice.flatMap({ $0.isEmpty ? nil : $0 }) ?? job.model.defaultVoice else {
            throw GenerationError(.permanent, provider: .elevenlabs, message: "no voice: set the avatar's voice or the scene's audio.voice")
        }
        let modelID = job.model.id.hasPrefix("elevenlabs/") ? String(job.model.id.dropFirst("elevenlabs/".count)) : job.model.id
        let path = "/v1/text-to-speech/\(voice.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? voice)?output_format=\(Self.outputFormat)"
        var body: [String: Any] = ["text": text, "model_id": modelID]
        // A new take asks for another reading (ElevenLabs' `seed`; the first take leaves it unset).
        if job.take > 1 { body["seed"] = job.take }
        var request = try client.endpoint.request(.post, client.endpoint.url(path), json: body, accept: "audio/mpeg")
        let file = job.scratch.appendingPathComponent("speech.mp3")
        request.destination = file
        request.maxBytes = client.settings.maxAudioBytes

        await gate.enter()
        let response: HTTPResponse
        do {
            response = try await client.send(request, step: "text-to-speech")
            await gate.leave()
        } catch {
            await gate.leave()
            throw error
        }
        guard response.isSuccess else {
            let body = (try? Data(contentsOf: file)) ?? Data()
            try? FileManager.default.removeItem(at: file)
            throw await failure(HTTPResponse(status: response.status, headers: response.headers, body: body, url: response.url))
        }
        try RemoteMedia.verify(file, expect: .audio, provider: .elevenlabs)
        // `character-cost` is the credits charged; priced at the model's list rate.
        let cost = response.header("character-cost").flatMap(Double.init).map { job.model.estimatedCost(characters: Int($0)) }
        return GeneratedOutput(file: file, provider: .elevenlabs, requestID: response.header("request-id"), cost: cost)
    }

    private func failure(_ response: HTTPResponse) async -> GenerationError {
        var failure = client.failure(response, step: "text-to-speech")
        guard response.status == 429 else { return failure }
        let detail = ((try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any])?["detail"] as? [String: Any]
        switch detail?["status"] as? String {
        case "too_many_concurrent_requests":
            let allowed = response.header("maximum-concurrent-requests").flatMap(Int.init)
            let limit = await gate.lower(to: allowed)
            failure.message += " (queueing: at most \(limit) request\(limit == 1 ? "" : "s") at once from now on; run with --limit elevenlabs=\(limit) to start there)"
            failure.retryAfter = failure.retryAfter ?? 1
        case "system_busy":
            failure.message += " (ElevenLabs is overloaded; backing off)"
        default:
            break
        }
        return failure
    }
}

/// A concurrency limit learnt at run time: unlimited until the provider says otherwise.
actor AdaptiveGate {
    private(set) var limit: Int?
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if let limit, inFlight >= limit {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            inFlight += 1
        }
    }

    func leave() {
        if !waiters.isEmpty, limit.map({ inFlight <= $0 }) ?? true {
            waiters.removeFirst().resume()   // the slot passes straight to a waiter
        } else {
            inFlight -= 1
        }
    }

    /// Lowers the limit to `allowed`, or one below what was in flight when refused. Returns it.
    func lower(to allowed: Int?) -> Int {
        let proposal = max(1, allowed ?? (inFlight))
        limit = min(limit ?? proposal, proposal)
        return limit!
    }
}
