import Foundation
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// The team's one-submit-per-job rule for a generator about to send a paid request: records the
/// intent (team mode; alone, a workspace always submits), and returns the entry of another
/// process's request to follow instead, or nil to submit. Waits while another holder has no
/// request id yet; an intent whose request may have gone out unrecorded fails the job, never
/// resubmitted blind.
enum JournalIntents {
    static func claim(_ job: Job, provider: Provider, follows: (JournalEntry) -> Bool) async throws -> JournalEntry? {
        var waited = 0
        while true {
            let intent: JournalIntent
            do { intent = try job.journal.intend(provider: provider, model: job.model.id) } catch {
                throw GenerationError(.transient, provider: provider, message: "the team's request journal cannot be reached: \(error)")
            }
            switch intent {
            case .submit:
                return nil
            case .follow(let entry) where follows(entry):
                return entry
            case .follow(let entry):
                waited += 1
                guard waited < 40 else {
                    throw GenerationError(.permanent, provider: provider,
                                          message: "the team's journal records a request for this job that cannot be followed (\(entry.model), \(entry.requestID ?? entry.operation ?? "no request id")); look it up at \(provider.rawValue)")
                }
            case .wait:
                break
            case .unknown(let message):
                throw GenerationError(.permanent, provider: provider, message: message)
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Sends the paid request. A connection that was never made (nothing was sent) gives the
    /// intent back, so another process (or a later attempt) may submit.
    static func submit(_ request: HTTPRequest, client: ProviderClient, step: String, job: Job) async throws -> HTTPResponse {
        do { return try await client.send(request, step: step) } catch let error as GenerationError where error.neverSent {
            job.journal.clear()
            throw error
        }
    }
}
