import Foundation
@testable import SceneFlowTeam
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The queue's promises, against the real PostgreSQL: many claimers never share an attempt, a
/// provider's limit holds across them, dependencies release children in order, a failure
/// blocks what follows, and a late worker's writes are refused.
@Suite(.tags(.endToEnd), .timeLimit(.minutes(4)))
struct JobQueueTests {
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
        let claimedTwice = Locked<[Int64]>([]), seen = Locked<Set<Int64>>([])
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
        let inFlight = Locked<(now: Int, peak: Int)>((0, 0))
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
        let first = try #require(try await queue.claim(worker: "paused", capacity: 1, lease: 0.5).first)
        #expect(first.attempt == 1)
        #expect(try await queue.reap() == 0, "a live lease is not reaped")
        try await Task.sleep(for: .milliseconds(800))
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
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&value) } }
}
