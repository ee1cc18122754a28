import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// Everything a run knows while it goes on, as one value the scheduler's loop drives: which nodes
/// are ready, waiting for a slot, running, finished or blocked (`Schedule`); the record of each
/// node (`RunRecorder`) and the files it made; identical jobs led by one node and followed by
/// the others; the budget's reservations; and whether the run has stopped (fail-fast, the
/// budget) or been cancelled.
///
/// The loop asks it for the jobs to start (`pump`), hands it each outcome (`complete`), and
/// tells it of cancellation (`cancel`); `cancelInFlight` says when jobs already running must be
/// cancelled. It starts no task and runs no process: the scheduler does, so this is tested alone.
struct RunState {
    /// A node's job, prepared and not started, or what preparing it decided.
    enum Preparation {
        case done(NodeStatus)
        case job(Job, Generator, CacheKey)
    }

    /// A job to start now.
    struct Start {
        var index: Int
        var job: Job
        var generator: Generator
        var key: CacheKey
    }

    /// A started job's key, and its components when the run keeps an explain index.
    typealias Started = (key: CacheKey, components: [String: String]?)

    let graph: SceneGraph
    var schedule: Schedule
    var recorder: RunRecorder
    var files: [[FileRef]]
    private var pending: [(job: Job, generator: Generator, key: CacheKey)?]
    private(set) var started: [Started?]
    /// Identical jobs in one run (two scenes with the same frame) are made once: the first node
    /// with a key leads, the others follow and take its output.
    private var leaders: [String: Int] = [:]
    private var followers: [Int: [Int]] = [:]
    private let ledger: SpendLedger?
    private var reservations: [Int: Money] = [:]
    private let failFast: Bool
    private(set) var cancelled = false
    private(set) var stopped = false
    /// Jobs in flight must be cancelled (the first failure under fail-fast, a cancellation).
    var cancelInFlight = false
    let events: @Sendable (RunEvent) -> Void

    init(graph: SceneGraph, schedule: Schedule, recorder: RunRecorder, ledger: SpendLedger?, failFast: Bool,
         events: @escaping @Sendable (RunEvent) -> Void) {
        self.graph = graph
        self.schedule = schedule
        self.recorder = recorder
        self.ledger = ledger
        self.failFast = failFast
        self.events = events
        files = Array(repeating: [], count: graph.nodes.count)
        pending = Array(repeating: nil, count: graph.nodes.count)
        started = Array(repeating: nil, count: graph.nodes.count)
        for i in graph.nodes.indices where schedule.status[i] == .skipped { self.recorder.skip(i, reason: RunRecorder.notATarget) }
    }

    /// Node `i` has ended with `status`: what it blocks is blocked, and a failure under
    /// fail-fast stops the run.
    mutating func end(_ i: Int, _ status: NodeStatus) {
        for blocked in schedule.end(i, status) {
            recorder.block(blocked, by: i)
            if graph.nodes[blocked].generates { events(.blocked(node: graph.nodes[blocked].id, by: graph.nodes[i].id)) }
        }
        if status == .failed && failFast && !stopped {
            stop(reason: "not run: the run stopped at the first failure")
            cancelInFlight = true
        }
    }

    /// Prepares every ready node (inputs, reused frames and cache hits end at once) and returns
    /// the jobs that may start now, under the limits and the budget.
    mutating func pump(remembers: Bool, prepare: (Int, inout [[FileRef]], inout RunRecorder) -> Preparation) -> [Start] {
        var starts: [Start] = []
        while !stopped, let i = schedule.nextReady() {
            switch prepare(i, &files, &recorder) {
            case .done(let status):
                end(i, status)
            case .job(let job, let generator, let key):
                if let leader = leaders[key.value] {
                    followers[leader, default: []].append(i)
                    continue
                }
                leaders[key.value] = i
                pending[i] = (job, generator, key)
                schedule.enqueue(i, on: job.model.provider)
                recorder[i].status = .queued
            }
        }
        while !stopped, let i = schedule.nextStart() {
            guard let (job, generator, key) = pending[i] else { continue }
            pending[i] = nil
            if let ledger {
                // Every variation of a regenerated node is paid for: all are reserved at once.
                let estimate = graph.estimate(of: i, model: job.model).cost * job.variations
                guard let reserved = ledger.reserve(estimate, model: job.model.id) else {
                    stopForBudget(i, ledger: ledger, estimate: estimate)
                    break
                }
                reservations[i] = reserved
            }
            started[i] = (key, remembers ? CacheKey.components(of: job) : nil)
            recorder[i].status = .running
            recorder[i].startedAt = Date()
            starts.append(Start(index: i, job: job, generator: generator, key: key))
        }
        return starts
    }

    /// Job `i` has an outcome: `record` turns it into the node's record and files (and returns
    /// the node's status), the budget is settled, and every node that was following it takes
    /// the same outcome (`follow`).
    mutating func complete(_ i: Int, record: (Started?, inout [[FileRef]], inout RunRecorder) -> NodeStatus,
                           follow: (Int, NodeStatus, inout [[FileRef]], inout RunRecorder) -> NodeStatus) {
        let job = started[i]
        started[i] = nil
        let status = record(job, &files, &recorder)
        if let ledger, let reserved = reservations.removeValue(forKey: i) {
            ledger.settle(reserved: reserved, cost: status == .succeeded ? recorder[i].cost ?? .zero : .zero, model: recorder[i].model ?? "")
        }
        end(i, status)
        if let job { leaders[job.key.value] = nil }
        for follower in followers.removeValue(forKey: i) ?? [] {
            end(follower, follow(follower, status, &files, &recorder))
        }
    }

    /// The run is cancelled: nothing new starts, and what waits is skipped.
    mutating func cancel() {
        guard !cancelled else { return }
        cancelled = true
        stop(reason: "cancelled")
        cancelInFlight = true
    }

    /// Nothing new starts; every node not started is skipped for `reason`.
    private mutating func stop(reason: String) {
        stopped = true
        for s in schedule.stop() { recorder.skip(s, reason: reason) }
    }

    private mutating func stopForBudget(_ i: Int, ledger: SpendLedger, estimate: Money) {
        let reason = "the budget of \(ledger.limit) was reached: \(ledger.spent) spent, \(ledger.reserved) in flight, and \(graph.nodes[i].id) is estimated at \(estimate)"
        recorder.stopReason = reason
        events(.skipped(node: graph.nodes[i].id, reason: reason))
        schedule.end(i, .skipped)
        recorder.skip(i, reason: "not run: \(reason)")
        stop(reason: "not run: the budget of \(ledger.limit) was reached")
    }

    /// The run has ended (every job in flight answered): nodes that never ran are skipped, and
    /// the final report says how it ended.
    mutating func finish(cancelled: Bool) -> RunReport {
        if cancelled { self.cancelled = true }
        for i in graph.nodes.indices where schedule.status[i] == .pending || schedule.status[i] == .running {
            recorder.skip(i, reason: self.cancelled ? "cancelled" : "not run")
        }
        if self.cancelled { recorder.stopReason = "cancelled" }
        return recorder.report(finished: true, cancelled: self.cancelled, failFast: failFast && stopped)
    }

    /// Whether node `i` ended with an output.
    func isDone(_ i: Int) -> Bool { schedule.status[i].isDone }
}
