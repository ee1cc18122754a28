import Foundation
@testable import SceneFlowTeam
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The queue's promises, against the real PostgreSQL: many claimers never share an attempt, a
/// provider's limit holds across them, dependencies release children in order, a failure
/// blocks what follows, and a late worker's writes are refused.
@Suite(.tags(.endToEnd), .timeLimit(.minutes(4))) struct JobQueueTests {
    func freshPool() throws -> PostgresPool {
        let services = try TeamServices.required()
        return try PostgresPool(url: try services.freshDatabase())
    }

    /// Issue 27's test 1: 8 concurrent claimers over 10,000 jobs; no attempt claimed twice, every job done once.
    @Test func eightClaimersNeverShareAJob() async throws {
        let pool = try freshPool()
        defer { pool.shutdown() }
        let setup = try await JobQueue.connect(pool)
        for batch in 0..<10 {
            try await setup.enqueue(runID: "r\(batch)", (0..<1_000).map { JobQueue.NewJob(node: "n\($0)", provider: ["fal", "local", "elevenlabs"][$0 % 3]) })
        }
        await setup.close()
        let claimedTwice = Shared<[Int64]>([]), seen = Shared<Set<Int64>>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<8 {
                group.addTask {
                    let queue = try await JobQueue.connect(pool)
                    defer { Task { await queue.close() } }
                    var idle = 0
                    while idle < 3 {
                        let jobs = try await queue.claim(worker: "w\(w)", capacity: 10, lease: 60)
                        if jobs.isEmpty { idle += 1; continue }
                        idle = 0
                        seen.withLock { set in for job in jobs where !set.insert(job.id).inserted { claimedTwice.withLock { $0.append(job.id) } } }
                        let taken = try await queue.complete(jobs.map { ($0, .succeeded(result: "w\(w)")) })
                        #expect(taken.count == jobs.count)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(claimedTwice.withLock { $0 }.isEmpty)
        #expect(seen.withLock { $0.count } == 10_000)
        let check = try await JobQueue.connect(pool)
        #expect(try await check.counts() == ["succeeded": 10_000])
        await check.close()
    }

    /// A provider's limit holds across claimers: never more of its jobs held at once than its slots.
    @Test func aProvidersLimitHoldsAcrossWorkers() async throws {
        let pool = try freshPool()
        defer { pool.shutdown() }
        let setup = try await JobQueue.connect(pool)
        try await setup.setLimit(provider: "fal", slots: 3)
        try await setup.enqueue(runID: "r", (0..<120).map { JobQueue.NewJob(node: "n\($0)", provider: $0 % 4 == 0 ? "local" : "fal") })
        let inFlight = Shared<(now: Int, peak: Int)>((0, 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    let queue = try await JobQueue.connect(pool)
                    defer { Task { await queue.close() } }
                    var idle = 0
                    while idle < 5 {
                        let jobs = try await queue.claim(worker: "w\(w)", capacity: 5, lease: 60)
                        let fal = jobs.filter { $0.provider == "fal" }.count
                        if jobs.isEmpty { idle += 1; try await Task.sleep(for: .milliseconds(20)); continue }
                        idle = 0
                        inFlight.withLock { $0.now += fal; $0.peak = max($0.peak, $0.now) }
                        try await Task.sleep(for: .milliseconds(15))
                        inFlight.withLock { $0.now -= fal }
                        try await queue.complete(jobs.map { ($0, .succeeded(result: "")) })
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(inFlight.withLock { $0.peak } == 3, "the limit was reached and never passed")
        #expect(try await setup.counts() == ["succeeded": 120])
        #expect(try await setup.limits() == [JobQueue.Limit(provider: "fal", slots: 3, inUse: 0)])
        await setup.close()
    }

    /// Children become ready when their last parent succeeds; a failure blocks every descendant
    /// and leaves independent work alone.
    @Test func dependenciesReleaseChildrenAndFailuresBlockDescendants() async throws {
        let pool = try freshPool()
        defer { pool.shutdown() }
        let queue = try await JobQueue.connect(pool)
        defer { Task { await queue.close() } }
        try await queue.enqueue(runID: "r", [
            .init(node: "a", provider: "local"), .init(node: "b", provider: "local"),
            .init(node: "c", provider: "local", parents: ["a", "b"]), .init(node: "d", provider: "local", parents: ["c"]),
            .init(node: "x", provider: "local"), .init(node: "y", provider: "local", parents: ["x"]), .init(node: "z", provider: "local", parents: ["y"]),
        ])
        var claimed = try await queue.claim(worker: "w", capacity: 10, lease: 60)
        #expect(Set(claimed.map(\.node)) == ["a", "b", "x"])
        let a = claimed.first { $0.node == "a" }!, b = claimed.first { $0.node == "b" }!, x = claimed.first { $0.node == "x" }!
        try await queue.complete([(a, .succeeded(result: "A"))])
        #expect(try await queue.claim(worker: "w", capacity: 10, lease: 60).isEmpty, "c waits for b")
        try await queue.complete([(b, .succeeded(result: "B")), (x, .failed(error: "boom"))])
        claimed = try await queue.claim(worker: "w", capacity: 10, lease: 60)
        #expect(claimed.map(\.node) == ["c"])
        try await queue.complete([(claimed[0], .succeeded(result: "C"))])
        claimed = try await queue.claim(worker: "w", capacity: 10, lease: 60)
        #expect(claimed.map(\.node) == ["d"])
        try await queue.complete([(claimed[0], .succeeded(result: "D"))])
        #expect(try await queue.counts() == ["succeeded": 4, "failed": 1, "blocked": 2])
        await #expect(throws: QueueError.self) { try await queue.enqueue(runID: "r2", [.init(node: "a", provider: "local", parents: ["nope"])]) }
    }

    /// A limit lowered (to 0) while its slots are held is the limit from then on: the held
    /// slots finish their jobs, and no job takes a slot above the new limit. Slots a dead run
    /// process held come back with the reaper; a child whose parents succeed and fail in one
    /// batch is blocked, never left waiting.
    @Test func loweredLimitsDeadHoldersAndMixedBatches() async throws {
        let pool = try freshPool()
        defer { pool.shutdown() }
        let queue = try await JobQueue.connect(pool)
        defer { Task { await queue.close() } }
        try await queue.setLimit(provider: "fal", slots: 2)
        try await queue.enqueue(runID: "r", (0..<6).map { JobQueue.NewJob(node: "n\($0)", provider: "fal") })
        let first = try await queue.claim(worker: "w", capacity: 6, lease: 60)
        #expect(first.count == 2)
        try await queue.setLimit(provider: "fal", slots: 0)
        try await queue.complete(first.map { ($0, .succeeded(result: "")) })
        #expect(try await queue.claim(worker: "w", capacity: 6, lease: 60).isEmpty, "a limit of 0 starts nothing, though slots 1 and 2 are free rows")
        try await queue.setLimit(provider: "fal", slots: 1)
        #expect(try await queue.claim(worker: "w", capacity: 6, lease: 60).count == 1)

        // A run process that died holding a slot (leased to it, expired).
        try pool.query("UPDATE sceneflow_slots SET job_id = -1, holder = 'gone:1', lease_until = now() - interval '1 minute' WHERE provider = 'fal' AND slot = 1 AND job_id IS NULL")
        try pool.query("INSERT INTO sceneflow_slots (provider, slot, job_id, holder, lease_until) VALUES ('local', 1, -1, 'gone:2', now() - interval '1 minute')")
        try await queue.reap()
        #expect(try pool.query("SELECT count(*)::int FROM sceneflow_slots WHERE holder IS NOT NULL").first?.makeRandomAccess()[0].decode(Int.self) == 0)

        try await queue.enqueue(runID: "mixed", [.init(node: "ok", provider: "local"), .init(node: "bad", provider: "local"),
                                                 .init(node: "child", provider: "local", parents: ["ok", "bad"])])
        let parents = try await queue.claim(worker: "w", capacity: 10, lease: 60).filter { $0.runID == "mixed" }
        #expect(parents.count == 2)
        try await queue.complete(parents.map { ($0, $0.node == "ok" ? .succeeded(result: "") : .failed(error: "boom")) })
        let child = try pool.query("SELECT state FROM sceneflow_jobs WHERE run_id = 'mixed' AND node = 'child'")
        #expect(try child.first?.makeRandomAccess()[0].decode(String.self) == "blocked")
    }

    /// Issue 27's test 5, on the queue: a worker whose lease ran out (paused, cut off) finds its
    /// job taken over; its late completion is refused, the new attempt's is taken, and its
    /// heartbeat tells it the job is no longer its own.
    @Test func aLateWorkersWritesAreRefused() async throws {
        let pool = try freshPool()
        defer { pool.shutdown() }
        let queue = try await JobQueue.connect(pool)
        defer { Task { await queue.close() } }
        try await queue.setLimit(provider: "fal", slots: 1)
        try await queue.enqueue(runID: "r", [.init(node: "clip", provider: "fal")])
        // A lease long enough that a loaded machine reaps nothing early, short enough to wait out.
        let first = try #require(try await queue.claim(worker: "paused", capacity: 1, lease: 4).first)
        #expect(first.attempt == 1)
        #expect(try await queue.reap() == 0, "a live lease is not reaped")
        try await Task.sleep(for: .milliseconds(4_500))
        #expect(try await queue.reap() == 1)
        let second = try #require(try await queue.claim(worker: "other", capacity: 1, lease: 60).first)
        #expect(second.id == first.id && second.attempt == 2)
        #expect(try await queue.heartbeat(worker: "paused", host: "h", pid: 1, lease: 30).isEmpty, "the paused worker holds nothing now")
        #expect(try await queue.complete([(first, .succeeded(result: "late"))]).isEmpty, "the late write is refused")
        #expect(try await queue.complete([(second, .succeeded(result: "on time"))]) == [second.id])
        #expect(try await queue.limits() == [JobQueue.Limit(provider: "fal", slots: 1, inUse: 0)])
        let rows = try pool.query("SELECT result FROM sceneflow_jobs WHERE id = $1", [.init(int64: first.id)])
        #expect(try rows.first?.makeRandomAccess()[0].decode(String.self) == "on time")
    }
}

/// A value shared by concurrent tasks of a test.
final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&value) } }
}

/// Workers over the queue: batches claimed and completed, dependencies followed, a worker
/// stopped mid-batch hands its jobs back, and nothing is done twice or lost.
@Suite(.tags(.endToEnd), .timeLimit(.minutes(4))) struct QueueWorkerTests {
    @Test func workersDrainABatchWhileOneIsStoppedAndStartedAgain() async throws {
        let services = try TeamServices.required()
        let pool = try PostgresPool(url: try services.freshDatabase())
        defer { pool.shutdown() }
        let setup = try await JobQueue.connect(pool)
        try await setup.setLimit(provider: "fal", slots: 3)
        // 100 runs of a small template: two frames, then a clip needing both, then a cut.
        for run in 0..<100 {
            try await setup.enqueue(runID: "r\(run)", [
                .init(node: "a.first_frame", provider: "fal"), .init(node: "b.first_frame", provider: "fal"),
                .init(node: "a.video", provider: "local", parents: ["a.first_frame", "b.first_frame"]),
                .init(node: "final.video", provider: "local", parents: ["a.video"]),
            ])
        }
        let executions = Shared<[String: Int]>([:]), falNow = Shared<(now: Int, peak: Int)>((0, 0))
        let handler: QueueWorker.Handler = { job in
            if job.provider == "fal" { falNow.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
            defer { if job.provider == "fal" { falNow.withLock { $0.now -= 1 } } }
            try await Task.sleep(for: .milliseconds(2))
            executions.withLock { $0["\(job.runID)/\(job.node)", default: 0] += 1 }
            return "done by attempt \(job.attempt)"
        }
        let workers = (0..<3).map { QueueWorker(pool: pool, name: "w\($0)", concurrency: 4, lease: 5, pollInterval: 0.2, handler: handler) }
        let tasks = workers.map { worker in Task { try await worker.run() } }
        // One worker stops and comes back, twice, while the batch drains.
        var restarted: Task<Int, Error>?
        for _ in 0..<2 {
            try await Task.sleep(for: .milliseconds(300))
            tasks[0].cancel()
            _ = try? await tasks[0].value
            restarted?.cancel()
            _ = try? await restarted?.value
            restarted = Task { try await workers[0].run() }
        }
        #expect(await waitUntil(timeout: 120) { ((try? pool.query("SELECT count(*) FROM sceneflow_jobs WHERE state = 'succeeded'").first?.makeRandomAccess()[0].decode(Int.self)) ?? 0) == 400 })
        for task in tasks.dropFirst() { task.cancel() }
        restarted?.cancel()
        for task in tasks { _ = try? await task.value }
        _ = try? await restarted?.value
        #expect(try await setup.counts() == ["succeeded": 400])
        #expect(falNow.withLock { $0.peak } <= 3, "fal's limit held across the workers")
        let runs = executions.withLock { $0 }
        #expect(runs.count == 400)
        // A job cancelled by a stopping worker is handed back and done again: at most twice.
        #expect(runs.values.allSatisfy { $0 <= 2 })
        let order = try pool.query("""
            SELECT count(*) FROM sceneflow_jobs c JOIN sceneflow_job_edges e ON e.child = c.id JOIN sceneflow_jobs p ON p.id = e.parent
            WHERE c.claimed_at < p.finished_at
            """)
        #expect(try order.first?.makeRandomAccess()[0].decode(Int.self) == 0, "no job was claimed before its parents finished")
        await setup.close()
    }
}
