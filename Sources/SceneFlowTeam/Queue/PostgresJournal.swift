import Foundation
import PostgresNIO
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The provider request journal every host of a team shares (`sceneflow_journal`, one row per
/// cache key): a job is submitted once, whoever needs it.
///
/// Before a paid request is sent, the intent is recorded under this process's identity (an
/// `INSERT … ON CONFLICT DO NOTHING`: one holder per key across hosts); the request id and the
/// URLs to follow go in right after the provider answers; the row goes when the output is
/// stored. Another process that needs the same job follows the recorded request instead of
/// sending its own, waits while the holder has not recorded an id yet, and, when an intent
/// stays without an id for longer than the lease (its holder died between the request and the
/// answer), reports the job as unknown rather than paying for it twice.
public final class PostgresJournal: JournalBackend, @unchecked Sendable {
    let pool: PostgresPool
    let holder: String
    let lease: Double

    public init(pool: PostgresPool, lease: Double? = nil) {
        self.pool = pool
        holder = "\(PostgresStore.hostName):\(getpid())#\(UUID().uuidString.prefix(8).lowercased())"
        self.lease = lease ?? ProcessInfo.processInfo.environment["SCENEFLOW_LEASE_SECONDS"].flatMap(Double.init).map { max(1, $0) } ?? 30
    }

    public func read(_ key: String) throws -> JournalEntry? {
        guard let row = try pool.query("SELECT urls FROM sceneflow_journal WHERE cache_key = $1 AND request_id IS NOT NULL", [PostgresData(string: key)]).first,
              let text = try row.makeRandomAccess()[0].decode(String?.self) else { return nil }
        return try JSONCoding.decoder.decode(JournalEntry.self, from: Data(text.utf8))
    }

    public func write(_ key: String, _ entry: JournalEntry) throws {
        let text = String(decoding: try JSONCoding.compact.encode(entry), as: UTF8.self)
        try pool.query("""
            INSERT INTO sceneflow_journal (cache_key, job_id, attempt, state, request_id, urls, holder, provider, model)
            VALUES ($1, 0, 0, 'submitted', $2, $3, $4, $5, $6)
            ON CONFLICT (cache_key) DO UPDATE SET state = 'submitted', request_id = excluded.request_id, urls = excluded.urls,
                updated_at = clock_timestamp()
            """, [PostgresData(string: key), PostgresData(string: entry.requestID ?? entry.operation ?? "?"), PostgresData(string: text),
                  PostgresData(string: holder), PostgresData(string: entry.provider.rawValue), PostgresData(string: entry.model)])
    }

    public func clear(_ key: String) {
        _ = try? pool.query("DELETE FROM sceneflow_journal WHERE cache_key = $1", [PostgresData(string: key)])
    }

    public func intend(_ key: String, provider: Provider, model: String) throws -> JournalIntent {
        let inserted = try pool.query("""
            INSERT INTO sceneflow_journal (cache_key, job_id, attempt, state, holder, provider, model)
            VALUES ($1, 0, 0, 'intent', $2, $3, $4) ON CONFLICT (cache_key) DO NOTHING RETURNING cache_key
            """, [PostgresData(string: key), PostgresData(string: holder), PostgresData(string: provider.rawValue), PostgresData(string: model)])
        if !inserted.isEmpty { return .submit }
        guard let row = try pool.query("""
            SELECT holder, request_id, urls, extract(epoch FROM clock_timestamp() - updated_at)::float8, created_at
            FROM sceneflow_journal WHERE cache_key = $1
            """, [PostgresData(string: key)]).first else {
            // Cleared meanwhile (its output is stored): try again.
            return .wait
        }
        let r = row.makeRandomAccess()
        let owner = try r[0].decode(String?.self)
        if try r[1].decode(String?.self) != nil, let text = try r[2].decode(String?.self) {
            return .follow(try JSONCoding.decoder.decode(JournalEntry.self, from: Data(text.utf8)))
        }
        let age = try r[3].decode(Double.self)
        // This process's own intent, left by an attempt whose request may have gone out (a
        // timeout, a lost connection, an answer it could not read): never sent again blind.
        guard owner == holder || age > lease else { return .wait }
        let since = try r[4].decode(Date.self)
        return .unknown("""
            a \(provider.rawValue) request for this job (\(model), cache key \(key.prefix(12))) may have been sent by \(owner ?? "another process") at \
            \(since.formatted(.iso8601)) and its request id was never recorded (that process stopped); it is not sent again blind: look for it \
            at the provider, then remove the note to submit it again (DELETE FROM sceneflow_journal WHERE cache_key = '\(key)')
            """)
    }
}
