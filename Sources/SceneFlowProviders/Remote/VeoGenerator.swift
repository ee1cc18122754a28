import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// Veo through the Gemini API: `predictLongRunning`, then the operation polled until `done`,
/// then the video downloaded with the key (the file URL is under the API's base URL; the
/// redirect it answers with is followed without the key).
///
/// The operation name goes to the job's journal before polling, as fal's request id does, so a
/// resumed run polls the same operation. A finished operation can still hold no video: safety
/// filters (`raiMediaFilteredCount`) — a clear, permanent failure that Google does not charge.
public struct VeoGenerator: Generator {
    let client: ProviderClient
    let finisher: ClipFinisher?

    public init(endpoint: ProviderEndpoint, settings: RemoteSettings = RemoteSettings(), http: HTTPClient = .shared, finisher: ClipFinisher?) {
        client = ProviderClient(endpoint: endpoint, settings: settings, http: http)
        self.finisher = finisher
    }

    public func generate(_ job: Job) async throws -> GeneratedOutput {
        let operation = try await submitOrResume(job)
        let done = try await poll(operation, job: job)
        if let error = done.error {
            job.journal.clear()
            let code = error.code
            // UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED: worth another go.
            let transient = [4, 8, 13, 14].contains(code ?? 0)
            throw GenerationError(transient ? .transient : .permanent, provider: .veo,
                                  message: client.endpoint.redact("operation \(operation) failed: \(error.message ?? "code \(code ?? 0)")"))
        }
        let result = done.response?.generateVideoResponse
        guard let uri = result?.generatedSamples?.first?.video?.uri else {
            job.journal.clear()
            let filtered = result?.raiMediaFilteredCount ?? 0
            let reasons = result?.raiMediaFilteredReasons?.joined(separator: "; ") ?? ""
            if filtered > 0 {
                throw GenerationError(.permanent, provider: .veo,
                                      message: "operation \(operation): the video was removed by Google's safety filters\(reasons.isEmpty ? "" : ": \(reasons)") (not charged; change the prompt or the first frame)")
            }
            throw GenerationError(.transient, provider: .veo, message: "operation \(operation) finished without a video")
        }
        let file = RemoteMedia.destination(job, kind: .video, contentType: "video/mp4")
        _ = try await client.download(uri, to: file, maxBytes: client.settings.maxVideoBytes, step: "download of \(operation)")
        try RemoteMedia.verify(file, expect: .video, provider: .veo)
        // The journal stays until the scheduler has stored the output (see FalGenerator).
        var finished = file
        if let finisher, case .clip(let clip) = job.work { finished = try await finisher.finish(clip: file, work: clip, job: job) }
        return GeneratedOutput(file: finished, provider: .veo, requestID: operation)
    }

    private func submitOrResume(_ job: Job) async throws -> String {
        let journaled: JournalEntry?
        do { journaled = try job.journal.read() } catch {
            // Never submitted again blind: the damaged note may stand for a paid job.
            throw GenerationError(.permanent, provider: .veo, message: error.description)
        }
        if let entry = journaled, entry.provider == .veo, entry.model == job.model.id, let operation = entry.operation {
            return operation
        }
        guard case .clip(let clip) = job.work else {
            throw GenerationError(.permanent, provider: .veo, message: "\(job.model.id) cannot make \(job.kind.noun)")
        }
        let image = try RemoteMedia.base64(clip.first, provider: .veo)
        var instance = VeoRequest.Instance(prompt: job.prompt, image: .init(bytesBase64Encoded: image.data, mimeType: image.mimeType))
        if let last = clip.last, job.model.acceptsLastFrame {
            let frame = try RemoteMedia.base64(last, provider: .veo)
            instance.lastFrame = .init(bytesBase64Encoded: frame.data, mimeType: frame.mimeType)
        }
        let parameters = VeoRequest.Parameters(aspectRatio: clip.aspectRatio.rawValue, durationSeconds: Int(clip.seconds))
        let endpoint = client.endpoint
        let step = "predictLongRunning"
        let request = try endpoint.request(.post, endpoint.url("/v1beta/models/\(job.model.id):predictLongRunning"),
                                           json: VeoRequest(instances: [instance], parameters: parameters))
        // Team mode: one operation per job across every host (`JournalIntents`).
        if let entry = try await JournalIntents.claim(job, provider: .veo, follows: { $0.provider == .veo && $0.operation != nil }),
           let operation = entry.operation {
            return operation
        }
        let response = try await JournalIntents.submit(request, client: client, step: step, job: job)
        guard response.isSuccess else {
            job.journal.clear()
            throw GoogleErrors.failure(response, client: client, step: step)
        }
        guard let name = try client.decode(VeoOperation.self, response, step: step).name else {
            throw GenerationError(.transient, provider: .veo, httpStatus: response.status, message: "\(step): no operation name in \(ProviderClient.snippet(response.body))")
        }
        do {
            try job.journal.write(JournalEntry(provider: .veo, model: job.model.id, operation: name))
        } catch {
            throw GenerationError(.permanent, provider: .veo, message: "cannot record operation \(name) in the journal: \(ErrorText.describe(error))")
        }
        return name
    }

    /// GET `/v1beta/{name}` until `done`. A missing operation (404) is forgotten and resubmitted.
    private func poll(_ operation: String, job: Job) async throws -> VeoOperation {
        let step = "operation \(operation)"
        return try await Polling.until(client.settings, atDeadline: {
            GenerationError(.transient, provider: .veo, message: "\(step) still not done after \(Int(client.settings.pollDeadline)) s")
        }) {
            let response = try await client.send(try client.endpoint.request(.get, client.endpoint.url("/v1beta/\(operation)")), step: step)
            if response.status == 404 {
                job.journal.clear()
                throw GenerationError(.transient, provider: .veo, httpStatus: 404, message: "\(step) no longer exists; it will be submitted again")
            }
            guard response.isSuccess else { throw GoogleErrors.failure(response, client: client, step: step) }
            let state = try client.decode(VeoOperation.self, response, step: step)
            return state.done == true ? state : nil
        }
    }
}
