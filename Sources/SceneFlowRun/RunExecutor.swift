import Foundation
import SceneFlowTemplate

/// A task executor with one thread of its own: a run's scheduling loop and its jobs' Swift code
/// run there, one at a time, like an event loop. Jobs spend their time waiting (for a provider
/// over the HTTP client's thread, for ffmpeg on its watcher thread), so one thread is enough,
/// and nothing bounces between cores: no wake-ups to hand a job over, no shared counters
/// contended. Blocking work inside a job would stall the loop; generators keep it short.
public final class RunExecutor: TaskExecutor, @unchecked Sendable {
    /// The one loop every run of this process uses (a batch's and a server's runs share it).
    public static let shared = RunExecutor()

    // `jobs` is guarded by `condition` (the class's state is touched only under its lock).
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(name: String = "sceneflow-run") {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
