import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// fal.ai's queue API: submit, poll, fetch the result, download the media at once.
///
/// A fal job is paid for at submit and keeps running whatever the client does, so the
/// request id and the three URLs fal returns are written to the job's journal before the first
/// poll. A retried attempt or a run resumed after `kill -9` finds them there and polls the same
/// job instead of paying for a new one. The URLs are used as returned, never rebuilt: status,
/// result and cancel live under `{owner}/{app}` and drop the model's subpath.
public struct FalGenerator: Generator {
    let client: ProviderClient
    let finisher: ClipFinisher?

    public init(endpoint: ProviderEndpoint, settings: RemoteSettings = RemoteSettings(), http: HTTPClient = .shared, finisher: ClipFinisher?) {
        client = ProviderClient(endpoint: endpoint, settings: settings, http: http)
        self.finisher = finisher
    }

    /// A submitted job, as the journal keeps it.
    struct Handle {
        var model: String
        var requestID: String
        var statusURL: String
        var responseURL: String
        var cancelURL: String?

        /// From the journal: only an entry this model wrote.
        init?(journal entry: JournalEntry?, model: String) {
            guard let entry, entry.provider == .fal, entry.model == model, let id = entry.requestID, let status = entry.statusURL,
                  let response = entry.responseURL else { return nil }
            self.init(model: model, requestID: id, statusURL: status, responseURL: response, cancelURL: entry.cancelURL)
        }

        /// From submit's answer.
        init(submitted answer: FalSubmitted, model: String) {
            self.init(model: model, requestID: answer.requestID, statusURL: answer.statusURL, responseURL: answer.responseURL, cancelURL: answer.cancelURL)
        }

        init(model: String, requestID: String, statusURL: String, responseURL: String, cancelURL: String?) {
            self.model = model
            self.requestID = requestID
            self.statusURL = statusURL
            self.responseURL = responseURL
            self.cancelURL = cancelURL
        }

        var entry: JournalEntry {
            JournalEntry(provider: .fal, model: model, requestID: requestID, statusURL: statusURL, responseURL: responseURL, cancelURL: cancelURL)
        }
    }

    public func generate(_ job: Job) async throws -> GeneratedOutput {
        let handle = try await submitOrResume(job)
        do {
            try await waitForCompletion(handle, job: job)
            let output = try await result(handle, job: job)
            guard let media = FalInputs.media(in: output, kind: job.kind) else {
                job.journal.clear()
                throw GenerationError(.permanent, provider: .fal, message: "result of \(handle.requestID) has no \(job.kind == .video ? "video" : "image") URL")
            }
            // The journal stays until the scheduler has the output in its cache: a crash while
            // conforming the clip costs a download, not a new (paid) job.
            var file = try await download(media, job: job, handle: handle)
            if let finisher, case .clip(let clip) = job.work { file = try await finisher.finish(clip: file, work: clip, job: job) }
            return GeneratedOutput(file: file, provider: .fal, requestID: handle.requestID)
        } catch is CancellationError {
            await cancel(handle, job: job)
            throw CancellationError()
        }
    }

    // MARK: Steps

    private func submitOrResume(_ job: Job) async throws -> Handle {
        let journaled: JournalEntry?
        do { journaled = try job.journal.read() } catch {
            // Never submitted again blind: the damaged note may stand for a paid job.
            throw GenerationError(.permanent, provider: .fal, message: error.description)
        }
        if let resumed = Handle(journal: journaled, model: job.model.id) { return resumed }
        // The request is made before the intent is recorded: nothing that can fail without
        // sending sits between the intent and the POST.
        let body = try FalInputs.body(for: job)
        let endpoint = client.endpoint
        let step = "submit to \(job.model.id)"
        let request = try endpoint.request(.post, endpoint.url("/" + job.model.id), json: body)
        // Team mode: one submit per job across every host (`JournalIntents`).
        if let entry = try await JournalIntents.claim(job, provider: .fal, follows: { Handle(journal: $0, model: job.model.id) != nil }),
           let followed = Handle(journal: entry, model: job.model.id) {
            return followed
        }
        let response = try await JournalIntents.submit(request, client: client, step: step, job: job)
        guard response.isSuccess else {
            // Refused: nothing was queued, so the intent goes (another process may submit).
            job.journal.clear()
            var failure = client.failure(response, step: step)
            if response.status == 422 { failure.input = FalInputs.blamedInput(response.body, job: job) }
            throw failure
        }
        guard let submitted = try? JSONCoding.decoder.decode(FalSubmitted.self, from: response.body) else {
            throw GenerationError(.transient, provider: .fal, httpStatus: response.status,
                                  message: "\(step): the answer has no request_id/status_url/response_url: \(ProviderClient.snippet(response.body))")
        }
        let handle = Handle(submitted: submitted, model: job.model.id)
        do {
            try job.journal.write(handle.entry)
        } catch {
            // Without the journal a crash would lose a paid job: give it back if fal still allows.
            await cancel(handle, job: job)
            throw GenerationError(.permanent, provider: .fal, message: "cannot record fal request \(handle.requestID) in the journal: \(ErrorText.describe(error))")
        }
        return handle
    }

    /// Polls `status_url` until COMPLETED (HTTP 200). There is no FAILED status: a failed job
    /// completes too, and its error comes with the result.
    private func waitForCompletion(_ handle: Handle, job: Job) async throws {
        let step = "status of \(handle.requestID)"
        let _: Bool = try await Polling.until(client.settings, atDeadline: {
            await cancel(handle, job: job)
            return GenerationError(.transient, provider: .fal, message: "\(handle.requestID) still not done after \(Int(client.settings.pollDeadline)) s")
        }) {
            let response = try await client.send(try client.endpoint.request(.get, handle.statusURL), step: step)
            if response.status == 404 || response.status == 410 { throw expired(handle, job: job, status: response.status) }
            guard response.isSuccess else { throw client.failure(response, step: step) }
            switch (try? client.decode(FalStatus.self, response, step: step))?.status {
            case "COMPLETED": return true
            case "IN_QUEUE", "IN_PROGRESS": return nil
            default:
                throw GenerationError(.transient, provider: .fal, httpStatus: response.status,
                                      message: "\(step): unexpected answer \(ProviderClient.snippet(response.body))")
            }
        }
    }

    /// GET `response_url`: a 4xx is the model's own failure (its `detail` shown, not retried);
    /// a 5xx is fal's trouble, retried in place; 404/410 means the result has expired.
    private func result(_ handle: Handle, job: Job) async throws -> FalOutput {
        let step = "result of \(handle.requestID)"
        return try await Polling.until(client.settings, atDeadline: {
            GenerationError(.transient, provider: .fal, message: "\(step): no answer before the deadline")
        }) {
            let response = try await client.send(try client.endpoint.request(.get, handle.responseURL), step: step)
            if response.status == 404 || response.status == 410 { throw expired(handle, job: job, status: response.status) }
            if response.isSuccess { return try client.decode(FalOutput.self, response, step: step) }
            var failure = client.failure(response, step: step)
            // A validation error about one of the images names that input, so it can be replaced.
            if response.status == 422 { failure.input = FalInputs.blamedInput(response.body, job: job) }
            // fal's 504 with x-fal-request-timeout-type: user is our own timeout: do not retry.
            if response.header("x-fal-request-timeout-type") == "user" { failure.kind = .permanent }
            if failure.kind == .permanent { job.journal.clear() }
            throw failure
        }
    }

    private func download(_ media: (url: String, contentType: String?), job: Job, handle: Handle) async throws -> URL {
        let file = RemoteMedia.destination(job, kind: job.kind, contentType: media.contentType)
        if media.url.hasPrefix("data:") {
            // sync_mode answers carry the media inline.
            guard let comma = media.url.firstIndex(of: ","), let data = Data(base64Encoded: String(media.url[media.url.index(after: comma)...])) else {
                throw GenerationError(.permanent, provider: .fal, message: "result of \(handle.requestID) has an unreadable data URI")
            }
            try AtomicFile.write(data, to: file)
        } else {
            let limit = job.kind == .video ? client.settings.maxVideoBytes : client.settings.maxImageBytes
            do {
                _ = try await client.download(media.url, to: file, maxBytes: limit, step: "download of \(handle.requestID)")
            } catch let error as GenerationError where error.isExpiry {
                job.journal.clear()
                throw error
            }
        }
        try RemoteMedia.verify(file, expect: job.kind, provider: .fal)
        return file
    }

    /// 404/410 on status or result: fal keeps results 1 h (6 min when 10 KB or more). The job
    /// is forgotten so a retry submits it again.
    private func expired(_ handle: Handle, job: Job, status: Int) -> GenerationError {
        job.journal.clear()
        return GenerationError(.transient, provider: .fal, httpStatus: status,
                               message: "request \(handle.requestID) has expired on fal (results are kept 1 h, 6 min when large); it will be submitted again")
    }

    /// PUT `cancel_url` (works only while queued). Sent even though the awaiting task is
    /// cancelled. If fal refuses (the job is already running, and billed), the journal is kept
    /// so the next run collects the result instead of paying again.
    private func cancel(_ handle: Handle, job: Job) async {
        guard let url = handle.cancelURL, let request = try? client.endpoint.request(.put, url) else { return }
        let client = self.client
        let accepted = await Task.detached {
            (try? await client.send(request, step: "cancel \(handle.requestID)", timeout: 10))?.isSuccess == true
        }.value
        if accepted { job.journal.clear() }
    }
}
