import Foundation
import Logging
import NIOCore
import PostgresNIO
import SceneFlowRun
import SceneFlowTemplate

/// A provider's limit across every process and host of the team (`sceneflow limits set`): a run
/// process holds one of the provider's slot rows (`sceneflow_slots`, the rows the queue's claims
/// use too) while a job of that provider runs, leased under this process's identity and renewed
/// by a heartbeat, so a process that dies gives its slots back within the lease
/// (`SCENEFLOW_LEASE_SECONDS`, default 30). A provider without a team limit is not held here.
/// While the database is away, a job waits for its slot (and the wait is logged), it never runs
/// past the limit.
public actor TeamLimiter: SharedLimits {
    let pool: PostgresPool
    let lease: Double
    let holder: String
    let logger = Logger(label: "sceneflow.limits")
    private var connection: PostgresConnection?
    private var held: [Provider: [Int]] = [:]
    private var unheld: [Provider: Int] = [:]
    private var limited: (providers: Set<String>, read: Date)?
    private var heartbeat: Task<Void, Never>?
    private var warned = false

    deinit {
        heartbeat?.cancel()
        // postgres-nio wants a connection closed before it goes: closed here, waiting briefly.
        if let connection {
            let closing: EventLoopFuture<Void> = connection.close()
            _ = try? closing.block(timeout: 2)
        }
    }

    public init(pool: PostgresPool, lease: Double? = nil) {
        self.pool = pool
        self.lease = lease ?? ProcessInfo.processInfo.environment["SCENEFLOW_LEASE_SECONDS"].flatMap(Double.init).map { max(1, $0) } ?? 30
        holder = "\(PostgresStore.hostName):\(getpid())#\(UUID().uuidString.prefix(8).lowercased())"
    }

    private var connecting: Task<PostgresConnection, Error>?

    /// The limiter's one connection. Jobs ask for it concurrently (the actor is reentrant at
    /// each await): one connects, the others wait for that one.
    private func db() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if let connecting { return try await connecting.value }
        let pool = self.pool
        let task = Task { try await pool.connect() }
        connecting = task
        do {
            let fresh = try await task.value
            connecting = nil
            connection = fresh
            return fresh
        } catch {
            connecting = nil
            throw error
        }
    }

    private func isLimited(_ provider: Provider) async throws -> Bool {
        if let limited, Date().timeIntervalSince(limited.read) < 10 { return limited.providers.contains(provider.rawValue) }
        let rows = try await db().query("SELECT provider FROM sceneflow_limits", logger: logger)
        var providers: Set<String> = []
        for try await provider in rows.decode(String.self) { providers.insert(provider) }
        limited = (providers, Date())
        return providers.contains(provider.rawValue)
    }

    public func acquire(_ provider: Provider) async {
        var delay = 0.05
        let began = Date()
        var told = false
        var settled = false
        defer { if !settled { unheld[provider, default: 0] += 1 } }
        while !Task.isCancelled {
            if !told, Date().timeIntervalSince(began) > 3 {
                // A limit of 0, or every slot held: said once, then waited for.
                logger.warning("waiting for a \(provider.rawValue) slot: the team's limit is in use (`sceneflow limits list`)")
                told = true
            }
            do {
                guard try await isLimited(provider) else {
                    // Not held here: nothing to give back, but the release must not take another's.
                    unheld[provider, default: 0] += 1
                    settled = true
                    return
                }
                let connection = try await db()
                let rows = try await connection.query("""
                    UPDATE sceneflow_slots s SET job_id = -1, holder = \(holder), lease_until = clock_timestamp() + make_interval(secs => \(lease))
                    WHERE (s.provider, s.slot) = (
                        SELECT f.provider, f.slot FROM sceneflow_slots f JOIN sceneflow_limits l ON l.provider = f.provider
                        WHERE f.provider = \(provider.rawValue) AND f.job_id IS NULL AND f.slot <= l.slots
                        ORDER BY f.slot LIMIT 1 FOR UPDATE OF f SKIP LOCKED)
                    RETURNING s.slot
                    """, logger: logger)
                for try await slot in rows.decode(Int.self) {
                    held[provider, default: []].append(slot)
                    startHeartbeat()
                    warned = false
                    settled = true
                    return
                }
                // None free: take back slots whose holder died, then wait a little.
                try await connection.query("""
                    UPDATE sceneflow_slots SET job_id = NULL, holder = NULL, lease_until = NULL
                    WHERE holder IS NOT NULL AND lease_until < clock_timestamp()
                    """, logger: logger)
            } catch {
                await dropConnection()
                if !warned {
                    logger.warning("waiting for a \(provider.rawValue) slot: \(Redaction.redact("\(error)"))")
                    warned = true
                }
            }
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            delay = min(delay * 1.5, 0.5)
        }
    }

    public func release(_ provider: Provider) async {
        // An acquisition that ended without a slot (cancelled while it waited) gives back nothing.
        if let phantom = unheld[provider], phantom > 0 {
            unheld[provider] = phantom - 1
            return
        }
        guard let slot = held[provider]?.popLast() else { return }
        for _ in 0..<20 {
            do {
                try await db().query("""
                    UPDATE sceneflow_slots SET job_id = NULL, holder = NULL, lease_until = NULL
                    WHERE provider = \(provider.rawValue) AND slot = \(slot) AND holder = \(holder)
                    """, logger: logger)
                try await db().query("SELECT pg_notify(\(JobQueue.channel), \(provider.rawValue))", logger: logger)
                return
            } catch {
                // The lease frees it if the database stays away.
                await dropConnection()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    private func startHeartbeat() {
        guard heartbeat == nil else { return }
        let every = lease / 3
        heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(every * 1000)))
                await self?.renew()
            }
        }
    }

    private func renew() async {
        guard held.values.contains(where: { !$0.isEmpty }) else { return }
        do {
            try await db().query("""
                UPDATE sceneflow_slots SET lease_until = clock_timestamp() + make_interval(secs => \(lease)) WHERE holder = \(holder)
                """, logger: logger)
        } catch {
            await dropConnection()
        }
    }

    /// A connection that failed is closed before it is let go (postgres-nio requires it).
    private func dropConnection() async {
        if let connection { try? await connection.close() }
        connection = nil
    }
}
