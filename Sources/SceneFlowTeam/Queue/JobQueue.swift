import Foundation
import Logging
import NIOCore
import PostgresNIO
import SceneFlowRun

/// The team's durable job queue in PostgreSQL: jobs with dependencies, claimed under provider
/// limits, leased to one worker at a time, completed at most once per attempt.
///
/// The shape follows the PostgreSQL queues that work (graphile-worker, River, pgqueuer):
///
/// - **Claim** is one statement: ready jobs by priority and age, `FOR UPDATE SKIP LOCKED`, in
///   materialized CTEs, batched to the worker's free capacity, each paired with a free **slot
///   row** of its provider (`sceneflow_slots`: one row per unit of a provider's concurrency), so
///   a limit holds across every worker whatever the races. A provider without a limit needs no
///   slot.
/// - **Dependencies**: each job counts its unfinished parents (`pending`); completing a parent
///   decrements its children in the same statement, and a child at 0 is `ready`. A failed
///   parent blocks every descendant.
/// - **Leases**: a claim is a lease (`lease_until`), renewed by heartbeats; a reaper puts jobs
///   whose lease ran out back to `ready` (attempt + 1 at the next claim). Every completion is
///   fenced by the attempt it was claimed with: a worker that wakes up late cannot overwrite a
///   newer attempt, and it learns at its next heartbeat that the job is no longer its own.
/// - **Wake-ups**: a job that becomes ready sends `NOTIFY sceneflow_jobs, '<provider>'` (one
///   per provider per transaction: PostgreSQL folds identical notifications), so idle workers
///   wake at once; polling stays the source of truth.
///
/// No transaction is held across a job's work: claims and completions are short statements.
public final class JobQueue: Sendable {
    public static let channel = "sceneflow_jobs"
    /// The provider (and node) of a whole run's job (`DetachedRun`): `sceneflow limits set run N`
    /// bounds how many runs the team's workers hydrate at once.
    public static let runProvider = "run"
    let connection: PostgresConnection
    let logger: Logger

    /// A queue over its own connection (a worker keeps one for claims and completions).
    public init(connection: PostgresConnection, logger: Logger = Logger(label: "sceneflow.queue")) {
        self.connection = connection
        self.logger = logger
    }

    public static func connect(_ pool: PostgresPool) async throws -> JobQueue {
        JobQueue(connection: try await pool.connect())
    }

    public func close() async {
        try? await connection.close()
    }

    // MARK: Enqueueing

    /// A job to add: `parents` name other jobs of the same batch (by node).
    public struct NewJob: Sendable {
        public var node: String
        public var provider: String
        public var cacheKey: String?
        public var priority: Int
        public var payload: String
        public var parents: [String]

        public init(node: String, provider: String, cacheKey: String? = nil, priority: Int = 0, payload: String = "", parents: [String] = []) {
            self.node = node
            self.provider = provider
            self.cacheKey = cacheKey
            self.priority = priority
            self.payload = payload
            self.parents = parents
        }
    }

    /// Adds a run's jobs and their dependencies in one transaction; jobs without parents are
    /// ready at once (and idle workers are woken). Returns the ids by node.
    @discardableResult
    public func enqueue(runID: String, _ jobs: [NewJob]) async throws -> [String: Int64] {
        let nodes = jobs.map(\.node)
        let known = Set(nodes)
        for job in jobs {
            for parent in job.parents where !known.contains(parent) {
                throw QueueError("job \(job.node) of run \(runID) depends on \(parent), which is not in the batch")
            }
        }
        return try await transaction { connection in
            let rows = try await connection.query("""
                INSERT INTO sceneflow_jobs (run_id, node, provider, cache_key, priority, payload, pending, state, ready_at)
                SELECT \(runID), v.node, v.provider, nullif(v.cache_key, ''), v.priority, v.payload, v.pending,
                       CASE WHEN v.pending = 0 THEN 'ready' ELSE 'waiting' END,
                       CASE WHEN v.pending = 0 THEN clock_timestamp() END
                FROM unnest(\(nodes)::text[], \(jobs.map(\.provider))::text[], \(jobs.map { $0.cacheKey ?? "" })::text[],
                            \(jobs.map(\.priority))::int[], \(jobs.map(\.payload))::text[], \(jobs.map(\.parents.count))::int[])
                     AS v(node, provider, cache_key, priority, payload, pending)
                RETURNING node, id
                """, logger: logger)
            var ids: [String: Int64] = [:]
            for try await (node, id) in rows.decode((String, Int64).self) { ids[node] = id }
            let edges = jobs.flatMap { job in job.parents.map { (ids[$0]!, ids[job.node]!) } }
            if !edges.isEmpty {
                try await connection.query("""
                    INSERT INTO sceneflow_job_edges (parent, child) SELECT * FROM unnest(\(edges.map(\.0))::bigint[], \(edges.map(\.1))::bigint[])
                    """, logger: logger)
            }
            for provider in Set(jobs.filter(\.parents.isEmpty).map(\.provider)).sorted() {
                try await connection.query("SELECT pg_notify(\(Self.channel), \(provider))", logger: logger)
            }
            return ids
        }
    }

    // MARK: Claiming

    /// A job a worker holds: `attempt` fences everything it writes about it.
    public struct ClaimedJob: Sendable, Hashable {
        public var id: Int64
        public var attempt: Int
        public var runID: String
        public var node: String
        public var provider: String
        public var cacheKey: String?
        public var payload: String
        /// Seconds from the job becoming ready to this claim.
        public var waited: Double = 0
    }

    /// Claims up to `capacity` ready jobs for `worker`, each with a free slot of its provider
    /// (when the provider has a limit), leased for `lease` seconds. One statement.
    public func claim(worker: String, capacity: Int, lease: Double) async throws -> [ClaimedJob] {
        guard capacity > 0 else { return [] }
        let window = capacity * 4
        let rows = try await connection.query("""
            WITH closed AS MATERIALIZED (
                -- Providers with a limit and no free slot within it (looked at without locks: a
                -- job whose slot is taken meanwhile waits for the next claim), so a saturated
                -- provider's jobs never fill the window.
                SELECT l.provider FROM sceneflow_limits l
                WHERE NOT EXISTS (SELECT 1 FROM sceneflow_slots s WHERE s.provider = l.provider AND s.job_id IS NULL AND s.slot <= l.slots)
            ), candidate AS MATERIALIZED (
                SELECT j.id, j.provider, j.priority FROM sceneflow_jobs j
                WHERE j.state = 'ready' AND j.ready_at <= clock_timestamp() AND j.provider NOT IN (SELECT provider FROM closed)
                ORDER BY j.priority DESC, j.id LIMIT \(window) FOR UPDATE OF j SKIP LOCKED
            ), ranked AS (
                SELECT c.id, c.provider, c.priority,
                       row_number() OVER (PARTITION BY c.provider ORDER BY c.priority DESC, c.id) AS n,
                       EXISTS (SELECT 1 FROM sceneflow_limits l WHERE l.provider = c.provider) AS limited
                FROM candidate c
            ), free AS MATERIALIZED (
                -- A slot above its provider's limit (a limit lowered while it was in use) is never taken.
                SELECT s.provider, s.slot FROM sceneflow_slots s JOIN sceneflow_limits l ON l.provider = s.provider
                WHERE s.job_id IS NULL AND s.slot <= l.slots AND s.provider IN (SELECT provider FROM candidate)
                ORDER BY s.slot, s.provider LIMIT \(capacity) FOR UPDATE OF s SKIP LOCKED
            ), free_ranked AS (
                SELECT provider, slot, row_number() OVER (PARTITION BY provider ORDER BY slot) AS n FROM free
            ), paired AS MATERIALIZED (
                SELECT r.id, r.provider, f.slot FROM ranked r
                LEFT JOIN free_ranked f ON f.provider = r.provider AND f.n = r.n
                WHERE NOT r.limited OR f.slot IS NOT NULL
                ORDER BY r.priority DESC, r.id LIMIT \(capacity)
            ), taken AS (
                UPDATE sceneflow_slots s SET job_id = p.id FROM paired p
                WHERE p.slot IS NOT NULL AND s.provider = p.provider AND s.slot = p.slot
                RETURNING s.job_id
            )
            UPDATE sceneflow_jobs j SET state = 'running', attempt = j.attempt + 1, worker = \(worker),
                   claimed_at = clock_timestamp(), lease_until = clock_timestamp() + make_interval(secs => \(lease))
            FROM paired p WHERE j.id = p.id
            RETURNING j.id, j.attempt, j.run_id, j.node, j.provider, coalesce(j.cache_key, ''), j.payload,
                      coalesce(extract(epoch FROM clock_timestamp() - j.ready_at), 0)::float8
            """, logger: logger)
        var claimed: [ClaimedJob] = []
        for try await (id, attempt, run, node, provider, key, payload, waited) in rows.decode((Int64, Int, String, String, String, String, String, Double).self) {
            claimed.append(ClaimedJob(id: id, attempt: attempt, runID: run, node: node, provider: provider, cacheKey: key.isEmpty ? nil : key,
                                      payload: payload, waited: waited))
        }
        return claimed.sorted { $0.id < $1.id }
    }

    // MARK: Completing

    public enum Outcome: Sendable, Equatable {
        case succeeded(result: String)
        case failed(error: String)
    }

    /// Records outcomes, each fenced by its attempt (a job no longer `running` under that attempt
    /// is left alone). In the same statement: the slots are freed, each succeeded job's children
    /// count one parent less (ready at 0, and idle workers woken), and a failed job's descendants
    /// are blocked. Returns the ids whose outcome was taken.
    @discardableResult
    public func complete(_ outcomes: [(ClaimedJob, Outcome)]) async throws -> Set<Int64> {
        guard !outcomes.isEmpty else { return [] }
        let ids = outcomes.map(\.0.id), attempts = outcomes.map(\.0.attempt)
        let states = outcomes.map { if case .succeeded = $0.1 { "succeeded" } else { "failed" } }
        let bodies = outcomes.map { switch $0.1 { case .succeeded(let r): r; case .failed(let e): e } }
        let rows = try await connection.query("""
            WITH RECURSIVE v AS (
                SELECT * FROM unnest(\(ids)::bigint[], \(attempts)::int[], \(states)::text[], \(bodies)::text[]) AS v(id, attempt, state, body)
            ), done AS (
                UPDATE sceneflow_jobs j SET state = v.state,
                       result = CASE WHEN v.state = 'succeeded' THEN v.body END,
                       error = CASE WHEN v.state = 'failed' THEN v.body END,
                       finished_at = clock_timestamp(), worker = NULL, lease_until = NULL
                FROM v WHERE j.id = v.id AND j.attempt = v.attempt AND j.state = 'running'
                RETURNING j.id, j.state
            ), freed AS (
                UPDATE sceneflow_slots s SET job_id = NULL FROM done WHERE s.job_id = done.id RETURNING s.provider
            ), counts AS (
                SELECT e.child, count(*) AS n FROM sceneflow_job_edges e JOIN done ON e.parent = done.id AND done.state = 'succeeded'
                GROUP BY e.child
            ), descendants(id) AS (
                SELECT e.child FROM sceneflow_job_edges e JOIN done ON e.parent = done.id AND done.state = 'failed'
                UNION
                SELECT e.child FROM sceneflow_job_edges e JOIN descendants d ON e.parent = d.id
            ), woken AS (
                UPDATE sceneflow_jobs c SET pending = c.pending - counts.n,
                       state = CASE WHEN c.state = 'waiting' AND c.pending - counts.n <= 0 THEN 'ready' ELSE c.state END,
                       ready_at = CASE WHEN c.state = 'waiting' AND c.pending - counts.n <= 0 THEN clock_timestamp() ELSE c.ready_at END
                FROM counts WHERE c.id = counts.child AND NOT EXISTS (SELECT 1 FROM descendants d WHERE d.id = c.id)
                RETURNING c.provider, c.state
            ), blocked AS (
                UPDATE sceneflow_jobs b SET state = 'blocked', finished_at = clock_timestamp(),
                       error = 'a job it depends on failed'
                WHERE b.id IN (SELECT id FROM descendants) AND b.state IN ('waiting', 'ready')
                RETURNING b.id
            ), notified AS (
                -- Jobs that became ready, and slots that became free: a worker that found none may claim now.
                SELECT pg_notify(\(Self.channel), provider) FROM (
                    SELECT provider FROM woken WHERE state = 'ready' UNION SELECT provider FROM freed
                ) p
            )
            SELECT done.id, (SELECT count(*) FROM notified) FROM done
            """, logger: logger)
        var taken: Set<Int64> = []
        for try await (id, _) in rows.decode((Int64, Int).self) { taken.insert(id) }
        return taken
    }

    // MARK: Leases

    /// Renews the leases of `worker`'s running jobs (and says the worker is alive). Returns the
    /// jobs it still holds, with their attempts: any other it thinks it runs is no longer its own.
    public func heartbeat(worker: String, host: String, pid: Int32, lease: Double) async throws -> Set<JobKey> {
        try await connection.query("""
            INSERT INTO sceneflow_workers (name, host, pid) VALUES (\(worker), \(host), \(Int(pid)))
            ON CONFLICT (name) DO UPDATE SET heartbeat_at = clock_timestamp(), host = excluded.host, pid = excluded.pid, stopped_at = NULL
            """, logger: logger)
        let rows = try await connection.query("""
            UPDATE sceneflow_jobs SET lease_until = clock_timestamp() + make_interval(secs => \(lease))
            WHERE worker = \(worker) AND state = 'running' RETURNING id, attempt
            """, logger: logger)
        var held: Set<JobKey> = []
        for try await (id, attempt) in rows.decode((Int64, Int).self) { held.insert(JobKey(id: id, attempt: attempt)) }
        return held
    }

    public struct JobKey: Sendable, Hashable {
        public var id: Int64
        public var attempt: Int
        public init(id: Int64, attempt: Int) {
            self.id = id
            self.attempt = attempt
        }
    }

    /// Marks a worker stopped (it handed back what it held).
    public func stopped(worker: String) async throws {
        try await connection.query("UPDATE sceneflow_workers SET stopped_at = clock_timestamp() WHERE name = \(worker)", logger: logger)
    }

    /// Hands a worker's unfinished jobs back (it is stopping): ready again, slots freed.
    /// `after` seconds keeps them from being claimed again until then (a worker that cannot run
    /// a job gives it back for another, not to itself at once).
    public func handBack(_ jobs: [ClaimedJob], after delay: Double = 0) async throws {
        guard !jobs.isEmpty else { return }
        try await connection.query("""
            WITH back AS (
                UPDATE sceneflow_jobs j SET state = 'ready', worker = NULL, lease_until = NULL,
                       ready_at = clock_timestamp() + make_interval(secs => \(max(0, delay)))
                FROM unnest(\(jobs.map(\.id))::bigint[], \(jobs.map(\.attempt))::int[]) AS v(id, attempt)
                WHERE j.id = v.id AND j.attempt = v.attempt AND j.state = 'running'
                RETURNING j.id, j.provider
            ), freed AS (
                UPDATE sceneflow_slots s SET job_id = NULL FROM back WHERE s.job_id = back.id RETURNING s.job_id
            )
            SELECT pg_notify(\(Self.channel), provider) FROM (SELECT DISTINCT provider FROM back) p
            """, logger: logger)
    }

    /// Takes back the jobs whose lease ran out (their worker died, hung or lost the database):
    /// ready again, their slots freed, idle workers woken. Returns how many.
    @discardableResult
    public func reap() async throws -> Int {
        let rows = try await connection.query("""
            WITH expired AS MATERIALIZED (
                SELECT id FROM sceneflow_jobs WHERE state = 'running' AND lease_until < clock_timestamp()
                ORDER BY id FOR UPDATE SKIP LOCKED
            ), requeued AS (
                UPDATE sceneflow_jobs j SET state = 'ready', worker = NULL, lease_until = NULL, ready_at = clock_timestamp()
                FROM expired e WHERE j.id = e.id RETURNING j.id, j.provider
            ), freed AS (
                UPDATE sceneflow_slots s SET job_id = NULL FROM requeued r WHERE s.job_id = r.id RETURNING s.job_id
            ), expired_holders AS (
                UPDATE sceneflow_slots SET job_id = NULL, holder = NULL, lease_until = NULL
                WHERE holder IS NOT NULL AND lease_until < clock_timestamp() RETURNING provider
            ), notified AS (
                SELECT pg_notify(\(Self.channel), provider) FROM (SELECT provider FROM requeued UNION SELECT provider FROM expired_holders) p
            )
            SELECT (SELECT count(*) FROM requeued), (SELECT count(*) FROM notified)
            """, logger: logger)
        for try await (count, _) in rows.decode((Int, Int).self) { return count }
        return 0
    }

    // MARK: Limits and counts

    /// Sets a provider's concurrency across every worker (0 stops its jobs being claimed).
    /// Slots beyond a lowered limit are never taken again (free ones are removed at once; ones in
    /// use are left to their jobs).
    public func setLimit(provider: String, slots: Int) async throws {
        guard (0...1000).contains(slots) else { throw QueueError("a limit is 0 to 1000, got \(slots)") }
        try await transaction { connection in
            try await connection.query("""
                INSERT INTO sceneflow_limits (provider, slots) VALUES (\(provider), \(slots))
                ON CONFLICT (provider) DO UPDATE SET slots = excluded.slots
                """, logger: logger)
            try await connection.query("""
                INSERT INTO sceneflow_slots (provider, slot) SELECT \(provider), g FROM generate_series(1, \(slots)) g
                ON CONFLICT DO NOTHING
                """, logger: logger)
            try await connection.query("DELETE FROM sceneflow_slots WHERE provider = \(provider) AND slot > \(slots) AND job_id IS NULL", logger: logger)
            try await connection.query("SELECT pg_notify(\(Self.channel), \(provider))", logger: logger)
        }
    }

    public struct Limit: Sendable, Equatable {
        public var provider: String
        public var slots: Int
        public var inUse: Int
    }

    public func limits() async throws -> [Limit] {
        let rows = try await connection.query("""
            SELECT l.provider, l.slots, (SELECT count(*) FROM sceneflow_slots s WHERE s.provider = l.provider AND s.job_id IS NOT NULL
                                         AND (s.holder IS NULL OR s.lease_until >= clock_timestamp()))::int
            FROM sceneflow_limits l ORDER BY l.provider
            """, logger: logger)
        var limits: [Limit] = []
        for try await (provider, slots, inUse) in rows.decode((String, Int, Int).self) { limits.append(Limit(provider: provider, slots: slots, inUse: inUse)) }
        return limits
    }

    /// Jobs by state.
    public func counts() async throws -> [String: Int] {
        let rows = try await connection.query("SELECT state, count(*)::int FROM sceneflow_jobs GROUP BY state", logger: logger)
        var counts: [String: Int] = [:]
        for try await (state, n) in rows.decode((String, Int).self) { counts[state] = n }
        return counts
    }

    /// Workers whose heartbeat is under a minute old, and journal intents left without a
    /// request id for longer than `lease` (their outcome is unknown: to check at the provider).
    public func health(lease: Double) async throws -> (workers: Int, unknown: Int) {
        let rows = try await connection.query("""
            SELECT (SELECT count(*) FROM sceneflow_workers WHERE stopped_at IS NULL AND heartbeat_at > now() - interval '1 minute')::int,
                   (SELECT count(*) FROM sceneflow_journal WHERE request_id IS NULL AND updated_at < clock_timestamp() - make_interval(secs => \(lease)))::int
            """, logger: logger)
        for try await (workers, unknown) in rows.decode((Int, Int).self) { return (workers, unknown) }
        return (0, 0)
    }

    // MARK: Transactions

    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}

/// A queue operation that cannot be done, said plainly.
public struct QueueError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
