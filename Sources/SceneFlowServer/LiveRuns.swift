import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowSession
import SceneFlowStore
import SceneFlowTemplate
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
        /// The run's last report, once it has ended: the truth even when the disk would not take it.
        var report: RunReport?
        /// The report as the API sends it, encoded once.
        var answer: [UInt8]?
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

    /// The report the run ended with (nil while it runs).
    var report: RunReport? { state.withLock { $0.report } }

    /// The report the run ended with, as the API sends it (encoded and scrubbed once); nil while it runs.
    func answer() throws -> [UInt8]? {
        if let kept = state.withLock({ $0.answer }) { return kept }
        guard let report else { return nil }
        let bytes = ServedPaths.scrub(Array(try report.encoded()))
        state.withLock { $0.answer = bytes }
        return bytes
    }

    /// Marks the run finished: watchers get what is left, then their streams end.
    func finish(_ report: RunReport? = nil) {
        // Finished outside the lock: a stream's termination handler takes the lock itself.
        let watchers = state.withLock { s in
            s.finished = true
            s.report = report
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
        /// Runs whose end the history could not take (a full disk): kept, and tried again.
        var unrecorded: [String: (report: RunReport, folder: URL)] = [:]
        var retrying = false
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

    /// The ids of the runs still going on in this process.
    var inFlight: [String] { table.withLock { table in table.runs.filter { !$0.value.isFinished }.map(\.key).sorted() } }

    /// Starts a prepared hydration in the background.
    func start(_ prepared: PreparedHydration, live: LiveRun, session: HydrationSession) {
        register(live)
        live.setFolder(prepared.folder.url)
        let task = Task {
            let result = await session.run(prepared) { event in live.append(ServedPaths.scrub(event.jsonLine(runID: live.id))) }
            live.finish(result.report)
            if result.unrecorded, let store = session.store { self.keepRecording(result.report, folder: result.folder.url, in: store) }
            self.retire(live.id)
            return result
        }
        live.attach(task)
    }

    /// The report of a run of this process whose end the history does not have yet.
    func unrecordedReport(_ id: String) -> RunReport? { table.withLock { $0.unrecorded[id]?.report } }

    /// Tries to record a run's end in the history (and its report) every 2 s until it succeeds,
    /// while the server runs: a full disk that is freed is caught up with.
    private func keepRecording(_ report: RunReport, folder: URL, in database: any RunHistoryStore) {
        let start = table.withLock { t -> Bool in
            t.unrecorded[report.runID] = (report, folder)
            defer { t.retrying = true }
            return !t.retrying
        }
        guard start else { return }
        Task {
            while true {
                try? await Task.sleep(for: .seconds(2))
                let pending = table.withLock { $0.unrecorded }
                for (id, entry) in pending {
                    do {
                        try RunFolder(url: entry.folder).write(try entry.report.encoded(), as: "run.json")
                        try database.record(entry.report, folder: entry.folder)
                        _ = table.withLock { $0.unrecorded.removeValue(forKey: id) }
                    } catch {
                        continue
                    }
                }
                let done = table.withLock { t -> Bool in
                    if t.unrecorded.isEmpty { t.retrying = false }
                    return t.unrecorded.isEmpty
                }
                if done || Task.isCancelled { return }
            }
        }
    }

    /// Cancels every run in flight and waits for each to record itself `cancelled`.
    func cancelAll() async {
        let all = table.withLock { Array($0.runs.values) }
        await withTaskGroup(of: Void.self) { group in
            for run in all where !run.isFinished { group.addTask { await run.cancel() } }
        }
    }
}
