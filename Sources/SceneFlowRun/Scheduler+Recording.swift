import Foundation
import SceneFlowTemplate

/// Turning a job's outcome into the node's record, its files for the nodes after it, and its event.
extension Scheduler {
    // MARK: Recording an outcome

    /// A node whose job was identical to `leader`'s takes its outcome.
    func follow(_ i: Int, leader: Int, status: NodeStatus, recorder: inout RunRecorder, files: inout [[FileRef]]) -> NodeStatus {
        let leaderID = graph.nodes[leader].id
        guard status.isDone, let made = files[leader].first else {
            recorder.fail(i, message: "the same job as \(leaderID), which \(status == .skipped ? "did not run" : "failed")", attempts: 0)
            return .failed
        }
        files[i] = [made]
        var metadata = OutputMetadata(key: recorder[leader].cacheKey ?? "", node: leaderID, model: recorder[leader].model ?? "",
                                      provider: recorder[leader].provider ?? .local, sha256: made.sha256,
                                      fileExtension: made.url.pathExtension, runID: runID)
        metadata.words = made.words
        let stored = StoredOutput(url: made.url, metadata: metadata)
        guard adopted(i, stored, recorder: &recorder) else { return .failed }
        recorder[i].madeBy = runID
        recorder.done(i, .cached, reason: "cached: the same job as \(leaderID) in this run, made once")
        events(.finished(node: graph.nodes[i].id, status: .cached, seconds: 0, output: recorder[i].output))
        return .cached
    }

    /// Delivers a just-made (or shared) output; one whose file changed since it was stored fails
    /// the node, and the cache entry is set aside so the next run makes it again.
    func adopted(_ i: Int, _ stored: StoredOutput, recorder: inout RunRecorder) -> Bool {
        switch recorder.adopt(i, stored) {
        case .delivered: return true
        case .failed: return false
        case .damaged(let why):
            if let key = CacheKey(validating: stored.metadata.key) { cache.quarantine(key, reason: why) }
            recorder.fail(i, message: "\(why); it was set aside, and the next run makes it again", attempts: recorder[i].attempts)
            return false
        }
    }

    /// A node's other variations: their cost and attempts are the node's too.
    func recordVariations(_ i: Int, _ outcomes: [AttemptRunner.Outcome], recorder: inout RunRecorder, model: ModelInfo?) {
        for outcome in outcomes {
            switch outcome {
            case .made(let stored, let log, _):
                recorder[i].attempts += log.count
                if let cost = stored.metadata.cost {
                    recorder[i].cost = (recorder[i].cost ?? .zero) + cost
                } else if let model, model.provider != .local {
                    recorder[i].cost = (recorder[i].cost ?? .zero) + graph.estimate(of: i, model: model).cost
                    recorder[i].costEstimated = true
                }
            case .failed(_, let log):
                recorder[i].attempts += log.count
            case .reused, .cancelled:
                break
            }
        }
    }

    func record(_ i: Int, _ outcome: AttemptRunner.Outcome, recorder: inout RunRecorder, files: inout [[FileRef]], started: Started?,
                        model: ModelInfo?) -> NodeStatus {
        let node = graph.nodes[i]
        switch outcome {
        case .made(let stored, let log, let seconds):
            files[i] = [FileRef(stored)]
            recorder[i].attempts = log.count
            recorder[i].attemptLog = log
            guard adopted(i, stored, recorder: &recorder) else { return .failed }
            // Another process published the same job first: its output is the one kept.
            if let maker = stored.metadata.runID, maker != runID { recorder[i].madeBy = maker }
            recorder[i].cost = stored.metadata.cost
            // Providers that report no price (fal's queue API, Gemini, Veo), and rehearsals: the estimate, marked.
            if stored.metadata.cost == nil, let model, model.provider != .local {
                recorder[i].cost = graph.estimate(of: i, model: model).cost
                recorder[i].costEstimated = true
            }
            recorder.done(i, .succeeded, reason: recorder[i].reason)
            if let started, let components = started.components { recorder.remember(i, key: started.key, components: components) }
            events(.finished(node: node.id, status: .succeeded, seconds: seconds, output: recorder[i].output))
            return .succeeded
        case .reused(let stored):
            files[i] = [FileRef(stored)]
            guard adopted(i, stored, recorder: &recorder) else { return .failed }
            recorder.done(i, .cached, reason: "cached: made by another run of this batch")
            events(.finished(node: node.id, status: .cached, seconds: 0, output: recorder[i].output))
            return .cached
        case .failed(let error, let log):
            recorder.fail(i, message: error.description, attempts: log.count, input: error.input)
            recorder[i].attemptLog = log
            return .failed
        case .cancelled(let attempts):
            recorder[i].attempts = attempts
            recorder.skip(i, reason: "cancelled")
            recorder[i].finishedAt = Date()
            return .skipped
        }
    }
}
