import Foundation
import PostgresNIO
import Prometheus

/// The queue's figures for Prometheus (`GET /metrics` of `serve`, `worker --metrics-port`),
/// through swift-prometheus: what this process measured (claim and wake-up latency,
/// heartbeats, leases taken over, runs hydrated) and, read from the database when scraped, the
/// team's state (jobs by state, each provider's slots in use against its limit, workers alive,
/// provider requests whose outcome is unknown).
public final class TeamMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// The claim statement, from sent to answered.
    let claimLatency: DurationHistogram
    /// A job's wait from ready to claimed (the worker's wake-up and claim).
    let wakeupLatency: DurationHistogram
    let heartbeats: Counter
    let heartbeatFailures: Counter
    let takenOver: Counter
    let claimed: Counter
    /// How long a claim lives without a heartbeat (a journal intent older than this without a
    /// request id is unknown).
    let lease: Double

    static let buckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30)]

    /// `sceneflow_<subsystem>_<name>_<unit>`, with its help text.
    static func metric(_ subsystem: String?, _ name: String, _ unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sceneflow", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    public init(lease: Double = 30) {
        self.lease = lease
        claimLatency = registry.makeDurationHistogram(descriptor: Self.metric("queue", "claim", "seconds", "Time taken by one claim statement"), buckets: Self.buckets)
        wakeupLatency = registry.makeDurationHistogram(descriptor: Self.metric("queue", "wakeup", "seconds", "Time from a job becoming ready to its claim by this process"), buckets: Self.buckets)
        heartbeats = registry.makeCounter(descriptor: Self.metric("worker", "heartbeats", "total", "Heartbeats this process sent"))
        heartbeatFailures = registry.makeCounter(descriptor: Self.metric("worker", "heartbeat_failures", "total", "Heartbeats that failed (the worker stops claiming until one succeeds)"))
        takenOver = registry.makeCounter(descriptor: Self.metric("queue", "leases_taken_over", "total", "Jobs whose lease ran out, put back in the queue by this process's reaper"))
        claimed = registry.makeCounter(descriptor: Self.metric("queue", "jobs_claimed", "total", "Jobs this process claimed"))
    }

    func observeClaim(_ jobs: [JobQueue.ClaimedJob], took: Duration) {
        claimLatency.recordNanoseconds(Int64(took.components.seconds) * 1_000_000_000 + took.components.attoseconds / 1_000_000_000)
        for job in jobs { wakeupLatency.record(.milliseconds(Int64((max(job.waited, 0) * 1000).rounded()))) }
        if !jobs.isEmpty { claimed.increment(by: Int64(jobs.count)) }
    }

    func observeHeartbeat(ok: Bool) { ok ? heartbeats.increment() : heartbeatFailures.increment() }

    func observeReap(_ count: Int) { if count > 0 { takenOver.increment(by: Int64(count)) } }

    /// A run this process hydrated, by how it ended.
    public func runFinished(_ status: String) {
        registry.makeCounter(descriptor: Self.metric(nil, "runs_hydrated", "total", "Runs this process's workers hydrated, by how they ended"), labels: [("status", status)]).increment()
    }

    /// The exposition text: the team's state read now, then this process's figures. A database
    /// that does not answer leaves the team's gauges as they were and sets `sceneflow_database_up` to 0.
    public func exposition(pool: PostgresPool) async -> [UInt8] {
        let up = registry.makeGauge(descriptor: Self.metric(nil, "database_up", "", "1 if the team's database answered this scrape"))
        do {
            let queue = try await JobQueue.connect(pool)
            defer { Task { await queue.close() } }
            let counts = try await queue.counts()
            for state in ["waiting", "ready", "running", "succeeded", "failed", "blocked"] {
                registry.makeGauge(descriptor: Self.metric(nil, "jobs", "", "Jobs in the team's queue, by state"), labels: [("state", state)]).set(Double(counts[state] ?? 0))
            }
            for limit in try await queue.limits() {
                registry.makeGauge(descriptor: Self.metric("provider", "in_flight", "", "A provider's slots in use across the team"), labels: [("provider", limit.provider)]).set(Double(limit.inUse))
                registry.makeGauge(descriptor: Self.metric("provider", "limit", "", "A provider's limit across the team (sceneflow limits)"), labels: [("provider", limit.provider)]).set(Double(limit.slots))
            }
            let (workers, unknown) = try await queue.health(lease: lease)
            registry.makeGauge(descriptor: Self.metric(nil, "workers_alive", "", "Workers whose heartbeat is under a minute old")).set(Double(workers))
            registry.makeGauge(descriptor: Self.metric(nil, "journal_unknown", "", "Provider requests recorded as intents without a request id past the lease: to check at the provider")).set(Double(unknown))
            up.set(Double(1))
        } catch {
            up.set(Double(0))
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return buffer
    }
}
