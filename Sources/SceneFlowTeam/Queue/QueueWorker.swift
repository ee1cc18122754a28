import Foundation
import Logging
import PostgresNIO
import SceneFlowBasics
import SceneFlowRun

/// A worker's loop over the `JobQueue`: claims what it has room for, runs each job in a child
/// task, completes finished jobs in batches (each fenced by its attempt), renews its leases and
/// reaps dead workers' jobs on a timer, and sleeps until a `NOTIFY` (or, at most, the poll
/// interval: polling stays the source of truth) when there is nothing to claim.
///
/// A heartbeat that does not list a job the worker runs means its lease was taken over (the
/// worker was paused or cut off): that job is cancelled and never completed by this worker. A
/// heartbeat that fails stops the worker claiming until one succeeds. Cancelling the task that
/// runs `run()` stops claiming, cancels the jobs in flight and hands them back.
public final class QueueWorker: Sendable {
    public typealias Handler = @Sendable (JobQueue.ClaimedJob) async throws -> String

    public let pool: PostgresPool
    /// The name it is shown by (`db status`).
    public let name: String
    public let concurrency: Int
    public let lease: Double
    public let pollInterval: Double
    let handler: Handler
    let logger: Logger
    /// Where claims, wake-ups, heartbeats and take-overs are counted (Prometheus), if anywhere.
    let metrics: TeamMetrics?

    public init(pool: PostgresPool, name: String, concurrency: Int, lease: Double = 30, pollInterval: Double = 1,
                logger: Logger = Logger(label: "sceneflow.worker"), metrics: TeamMetrics? = nil, handler: @escaping Handler) {
        self.metrics = metrics
        self.pool = pool
        self.name = name
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.pollInterval = pollInterval
        self.logger = logger
        self.handler = handler
    }

    /// What the loop is waiting for; job tasks, the listener and the timer post here.
    final class Mailbox: @unchecked Sendable {
        private let lock = NSLock()
        private var finished: [(JobQueue.ClaimedJob, JobQueue.Outcome)] = []
        private var returned: [(JobQueue.ClaimedJob, Double)] = []
        private var waiter: CheckedContinuation<Void, Never>?
        private var signalled = false

        func post(_ outcome: (JobQueue.ClaimedJob, JobQueue.Outcome)? = nil) {
            let resume: CheckedContinuation<Void, Never>? = lock.withLock {
                if let outcome { finished.append(outcome) }
                signalled = true
                defer { waiter = nil }
                return waiter
            }
            resume?.resume()
        }

        func take() -> [(JobQueue.ClaimedJob, JobQueue.Outcome)] {
            lock.withLock { defer { finished = [] }; return finished }
        }

        /// A job its handler gave back (`HandBack`), with how long it waits before another claim.
        func giveBack(_ job: JobQueue.ClaimedJob, after delay: Double) {
            lock.withLock { returned.append((job, delay)) }
            post()
        }

        func takeReturned() -> [(JobQueue.ClaimedJob, Double)] {
            lock.withLock { defer { returned = [] }; return returned }
        }

        /// Returns at once if something was posted since the last wait.
        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now: Bool = lock.withLock {
                    if signalled { signalled = false; return true }
                    waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            lock.withLock { signalled = false }
        }
    }

    /// Runs until the calling task is cancelled. Returns how many jobs this worker completed.
    @discardableResult
    public func run() async throws -> Int {
        // Each run of a worker holds its leases under an identity of its own: a worker restarted
        // under the same name must not renew (or complete) what its previous life held.
        let name = "\(self.name)#\(UUID().uuidString.prefix(8).lowercased())"
        var queue = try await JobQueue.connect(pool)
        let mailbox = Mailbox()
        var running: [JobQueue.JobKey: (job: JobQueue.ClaimedJob, task: Task<Void, Never>)] = [:]
        var completed = 0
        let host = PostgresStore.hostName, pid = getpid()
        do { _ = try await queue.heartbeat(worker: name, host: host, pid: pid, lease: lease) } catch {
            // (Stopped while starting: the connection is closed, never dropped open.)
            let unused = queue
            await Task.detached { await unused.close() }.value
            throw error
        }

        // Wake-ups: a connection of its own, listening.
        let listener = Task {
            guard let connection = try? await pool.connect() else { return }
            defer { Task { try? await connection.close() } }
            do {
                for try await _ in try await connection.listen(JobQueue.channel) { mailbox.post() }
            } catch {}
        }
        // Leases and the reaper: a connection of its own, so a slow claim never delays them.
        let heartbeatEvery = min(5, lease / 4)
        let lost = Locked<Set<JobQueue.JobKey>>([]), held = Locked<Set<JobQueue.JobKey>>([])
        let healthy = Locked(true)
        let beats = Task {
            guard let beat = try? await JobQueue.connect(pool) else { return }
            defer { Task { await beat.close() } }
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(heartbeatEvery * 1000)))
                do {
                    let mine = held.value
                    let still = try await beat.heartbeat(worker: name, host: host, pid: pid, lease: lease)
                    let gone = mine.subtracting(still)
                    if !gone.isEmpty { lost.mutate { $0.formUnion(gone) }; mailbox.post() }
                    healthy.set(true)
                    metrics?.observeHeartbeat(ok: true)
                    // (Reaped whether or not anyone counts it: an optional chain would skip the call.)
                    let reaped = try await beat.reap()
                    metrics?.observeReap(reaped)
                } catch {
                    if Task.isCancelled { break }
                    healthy.set(false)
                    metrics?.observeHeartbeat(ok: false)
                    logger.warning("heartbeat failed; not claiming until the database answers", metadata: ["worker": "\(name)", "error": "\(error)"])
                }
            }
        }
        let ticks = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(pollInterval * 1000)))
                mailbox.post()
            }
        }
        defer {
            listener.cancel()
            beats.cancel()
            ticks.cancel()
        }

        while !Task.isCancelled {
            // Jobs whose lease was taken over: stop them, never complete them.
            for key in lost.take() {
                if let entry = running.removeValue(forKey: key) {
                    entry.task.cancel()
                    // Wound down before anything else is claimed: this process never runs two
                    // attempts of one job at once (a claim of the next attempt may come here).
                    await entry.task.value
                    logger.warning("lease lost; job stopped", metadata: ["run": "\(entry.job.runID)", "job": "\(entry.job.node)", "attempt": "\(key.attempt)"])
                }
            }
            let finished = mailbox.take().filter { running[JobQueue.JobKey(id: $0.0.id, attempt: $0.0.attempt)] != nil }
            let returned = mailbox.takeReturned().filter { running[JobQueue.JobKey(id: $0.0.id, attempt: $0.0.attempt)] != nil }
            var claimed: [JobQueue.ClaimedJob] = []
            do {
                for (job, delay) in returned {
                    try await queue.handBack([job], after: delay)
                    running[JobQueue.JobKey(id: job.id, attempt: job.attempt)] = nil
                }
                if !returned.isEmpty { held.set(Set(running.keys)) }
                if !finished.isEmpty {
                    let taken = try await queue.complete(finished)
                    completed += taken.count
                    for (job, _) in finished { running[JobQueue.JobKey(id: job.id, attempt: job.attempt)] = nil }
                    held.set(Set(running.keys))
                }
                if healthy.value, running.count < concurrency {
                    let start = ContinuousClock.now
                    claimed = try await queue.claim(worker: name, capacity: concurrency - running.count, lease: lease)
                    metrics?.observeClaim(claimed, took: ContinuousClock.now - start)
                }
            } catch {
                if Task.isCancelled { break }
                // The database went away: the outcomes wait for it (they are fenced, so a late
                // write of a job taken over meanwhile is refused), the connection is made again.
                logger.warning("the queue cannot be reached; trying again", metadata: ["worker": "\(name)", "error": "\(error)"])
                for outcome in finished { mailbox.post(outcome) }
                for (job, delay) in returned where running[JobQueue.JobKey(id: job.id, attempt: job.attempt)] != nil { mailbox.giveBack(job, after: delay) }
                try? await Task.sleep(for: .seconds(1))
                if let fresh = try? await JobQueue.connect(pool) {
                    let old = queue
                    queue = fresh
                    await old.close()
                }
                continue
            }
            if !claimed.isEmpty {
                for job in claimed {
                    let key = JobQueue.JobKey(id: job.id, attempt: job.attempt)
                    let handler = self.handler
                    running[key] = (job, Task {
                        let outcome: JobQueue.Outcome
                        do { outcome = .succeeded(result: try await handler(job)) } catch is CancellationError {
                            return
                        } catch let back as HandBack {
                            mailbox.giveBack(job, after: back.delay)
                            return
                        } catch {
                            outcome = .failed(error: Redaction.redact("\(error)"))
                        }
                        mailbox.post((job, outcome))
                    })
                }
                held.set(Set(running.keys))
            }
            if claimed.isEmpty && finished.isEmpty { await mailbox.wait() }
        }
        // Stopping: what is still running is cancelled, and once each job has stopped (a job
        // records how far it got), what finished anyway is completed and the rest handed back
        // (outside the cancelled task, so the statements are sent).
        for entry in running.values { entry.task.cancel() }
        for entry in running.values { await entry.task.value }
        // No heartbeat after this: one would say the worker is alive again after `stopped`.
        beats.cancel()
        _ = await beats.value
        let finishedLate = mailbox.take().filter { running[JobQueue.JobKey(id: $0.0.id, attempt: $0.0.attempt)] != nil }
        let done = Set(finishedLate.map { JobQueue.JobKey(id: $0.0.id, attempt: $0.0.attempt) })
        let unfinished = running.filter { !done.contains($0.key) }.map(\.value.job)
        let returnedLate = mailbox.takeReturned()
        let last = queue
        completed += await Task.detached {
            let taken = (try? await last.complete(finishedLate))?.count ?? 0
            try? await last.handBack(unfinished.filter { job in !returnedLate.contains { $0.0.id == job.id } })
            for (job, delay) in returnedLate { try? await last.handBack([job], after: delay) }
            try? await last.stopped(worker: name)
            await last.close()
            return taken
        }.value
        return completed
    }
}

extension Locked where Value == Set<JobQueue.JobKey> {
    func take() -> Value { exchange([]) }
}

/// Thrown by a job's handler that cannot run the job here (a key or tool this host lacks, a
/// store it cannot reach now): the job goes back to the queue, claimable again after `delay`
/// seconds (by another worker, or this one later), instead of failing.
public struct HandBack: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var delay: Double
    public init(_ reason: String, delay: Double = 5) {
        self.reason = reason
        self.delay = delay
    }
    public var description: String { reason }
}
