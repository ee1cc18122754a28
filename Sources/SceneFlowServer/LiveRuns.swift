import Foundation
import SceneFlowCore
import SceneFlowSession
import Synchronization

/// One run of this server process: its events (NDJSON lines, as `run --json` prints them),
/// kept for replay, and the watchers waiting for new ones.
final class LiveRun: Sendable {
    let id: String
    /// The run's folder, once the hydration is prepared.
    var folder: URL { state.withLock { $0.folder } }
    private struct State {
        var folder: URL
        var events: [String] = []
        var finished = false
        var watchers: [UUID: AsyncStream<(Int, String)>.Continuation] = [:]
        var task: Task<HydrationResult, Never>?
    }
    private let state: Mutex<State>

    init(id: String, folder: URL) {
        self.id = id
        state = Mutex(State(folder: folder))
    }

    func setFolder(_ url: URL) { state.withLock { $0.folder = url } }

    /// Records an event and hands it to every watcher.
    func append(_ line: String) {
        state.withLock { s in
            s.events.append(line)
            let index = s.events.count
            for watcher in s.watchers.values { watcher.yield((index, line)) }
        }
    }

    /// Marks the run finished: watchers get what is left, then their streams end.
    func finish() {
        // Finished outside the lock: a stream's termination handler takes the lock itself.
        let watchers = state.withLock { s in
            s.finished = true
            defer { s.watchers = [:] }
            return Array(s.watchers.values)
        }
        for watcher in watchers { watcher.finish() }
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    func attach(_ task: Task<HydrationResult, Never>) { state.withLock { $0.task = task } }

    /// Cancels the run (jobs in flight are cancelled; the report ends `cancelled`) and waits for it.
    func cancel() async {
        let task = state.withLock { $0.task }
        task?.cancel()
        _ = await task?.value
    }

    /// The events after the first `after` (numbered from 1), then live ones until the run ends.
    func events(after: Int) -> AsyncStream<(Int, String)> {
        AsyncStream { continuation in
            let id = UUID()
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
            }
            let finished = state.withLock { s in
                for (i, line) in s.events.enumerated() where i + 1 > after { continuation.yield((i + 1, line)) }
                if !s.finished { s.watchers[id] = continuation }
                return s.finished
            }
            if finished { continuation.finish() }
        }
    }
}

/// The runs started by this server process, by id, and the limits they share (as a batch's
/// products share them): one limiter and one coalescer for every run in flight.
///
/// A finished run's events stay in memory for replay while it is among the last
/// `keptFinished` to finish; an older one is forgotten here, and its event stream is then its
/// `run_finished` line, read from its report (`GET /runs/{id}` and its files are on disk).
final class LiveRuns: Sendable {
    private struct Table {
        var runs: [String: LiveRun] = [:]
        var finishedOrder: [String] = []
    }
    private let table = Mutex(Table())
    let limiter: ConcurrencyLimiter
    let coalescer = JobCoalescer()
    let keptFinished: Int

    init(limits: RunLimits, keptFinished: Int = 64) {
        limiter = ConcurrencyLimiter(limits: limits)
        self.keptFinished = max(1, keptFinished)
    }

    /// How many runs' events are held in memory.
    var count: Int { table.withLock { $0.runs.count } }

    /// Holds a run's events from now on.
    func register(_ live: LiveRun) {
        table.withLock { $0.runs[live.id] = live }
    }

    /// Notes that run `id` finished, and forgets the oldest finished runs beyond the limit.
    func retire(_ id: String) {
        table.withLock { t in
            t.finishedOrder.append(id)
            while t.finishedOrder.count > keptFinished {
                t.runs[t.finishedOrder.removeFirst()] = nil
            }
        }
    }

    subscript(id: String) -> LiveRun? { table.withLock { $0.runs[id] } }

    /// Starts a prepared hydration in the background.
    func start(_ prepared: PreparedHydration, live: LiveRun, session: HydrationSession) {
        register(live)
        live.setFolder(prepared.folder.url)
        let task = Task {
            let result = await session.run(prepared) { event in live.append(event.jsonLine(runID: live.id)) }
            live.finish()
            self.retire(live.id)
            return result
        }
        live.attach(task)
    }

    /// Cancels every run in flight and waits for each to record itself `cancelled`.
    func cancelAll() async {
        let all = table.withLock { Array($0.runs.values) }
        await withTaskGroup(of: Void.self) { group in
            for run in all where !run.isFinished { group.addTask { await run.cancel() } }
        }
    }
}
