import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// ElevenLabs text-to-speech with timestamps:
/// `POST /v1/text-to-speech/{voice_id}/with-timestamps?output_format=mp3_44100_128` with the
/// dialogue and the model's `model_id`. The answer is JSON: the MP3 in base64 (which the clip
/// step muxes under the scene's video) and a character alignment of the text as sent, from
/// which the words' times are kept with the output to time the captions. An alignment that
/// does not add up (arrays of different lengths) is dropped, and the captions fall back to an
/// even split by syllables; audio that is missing or not MP3 by content fails the job.
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
        let path = "/v1/text-to-speech/\(voice.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? voice)/with-timestamps?output_format=\(Self.outputFormat)"
        // A new take asks for another reading (ElevenLabs' `seed`; the first take leaves it unset).
        let body = ElevenLabsRequest(text: text, modelID: modelID, seed: job.seed ?? (job.take > 1 ? job.take : nil))
        var request = try client.endpoint.request(.post, client.endpoint.url(path), json: body, accept: "application/json")
        let answer = job.scratch.appendingPathComponent("speech.json")
        request.destination = answer
        // The audio arrives in base64: a third larger than the MP3.
        request.maxBytes = client.settings.maxAudioBytes / 3 * 4 + client.settings.maxJSONBytes

        await gate.enter()
        let response: HTTPResponse
        do {
            response = try await client.send(request, step: "text-to-speech")
            await gate.leave()
        } catch {
            await gate.leave()
            throw error
        }
        defer { try? FileManager.default.removeItem(at: answer) }
        guard response.isSuccess else {
            let body = (try? Data(contentsOf: answer)) ?? Data()
            throw await failure(HTTPResponse(status: response.status, headers: response.headers, body: body, url: response.url))
        }
        let spoken = try Self.decode(answer, requestID: response.header("request-id"))
        let file = job.scratch.appendingPathComponent("speech.mp3")
        do { try spoken.audio.write(to: file, options: .atomic) } catch {
            throw GenerationError(.transient, provider: .elevenlabs, message: "the speech could not be written to \(file.lastPathComponent): \(ErrorText.describe(error))")
        }
        try RemoteMedia.verify(file, expect: .audio, provider: .elevenlabs)
        // `character-cost` is the credits charged; priced at the model's list rate.
        let cost = response.header("character-cost").flatMap(Double.init).map { job.model.estimatedCost(characters: Int($0)) }
        var output = GeneratedOutput(file: file, provider: .elevenlabs, requestID: response.header("request-id"), cost: cost)
        output.words = spoken.words
        return output
    }

    /// The `/with-timestamps` answer: the audio, and the words' times when the alignment adds up.
    struct TimedSpeech {
        var audio: Data
        var words: [TimedWord]?
    }

    static func decode(_ file: URL, requestID: String?) throws -> TimedSpeech {
        let answer: ElevenLabsSpeech
        do {
            answer = try JSONCoding.decoder.decode(ElevenLabsSpeech.self, from: Data(contentsOf: file, options: .mappedIfSafe))
        } catch {
            throw GenerationError(.transient, provider: .elevenlabs,
                                  message: "the with-timestamps answer is not the documented JSON (audio_base64, alignment)\(requestID.map { " (request \($0))" } ?? "")")
        }
        guard let audio = Data(base64Encoded: answer.audioBase64, options: .ignoreUnknownCharacters), !audio.isEmpty else {
            throw GenerationError(.transient, provider: .elevenlabs, message: "the with-timestamps answer carries no audio in audio_base64")
        }
        let words = answer.alignment.flatMap {
            TimedWord.words(characters: $0.characters, starts: $0.characterStartTimesSeconds, ends: $0.characterEndTimesSeconds)
        }
        return TimedSpeech(audio: audio, words: words)
    }

    private func failure(_ response: HTTPResponse) async -> GenerationError {
        var failure = client.failure(response, step: "text-to-speech")
        guard response.status == 429 else { return failure }
        // Not the documented shape: no status to act on; the generic failure says what came.
        let detail = (try? JSONCoding.decoder.decode(ElevenLabsErrorBody.self, from: response.body))?.detail
        switch detail?.status {
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
