import Foundation
import PostgresNIO
import SceneFlowRun

/// The team database's schema, as numbered SQL migrations applied in order.
///
/// `sceneflow db migrate` applies what is missing inside one transaction per migration, under a
/// session advisory lock, so hosts migrating at once take turns and each migration runs once.
/// Every other command checks the version first: older is "run `sceneflow db migrate`", newer
/// (a newer SceneFlow migrated it) is refused rather than misread.
public enum Migrations {
    /// `(version, what it does, SQL)`. Append only: a released migration never changes.
    public static let all: [(version: Int, summary: String, sql: String)] = [
        (1, "assets, run history, picked takes", """
        CREATE TABLE sceneflow_assets (
            product_id text NOT NULL,
            key text NOT NULL,
            sha256 text NOT NULL,
            media_type text NOT NULL,
            size bigint NOT NULL,
            original_name text NOT NULL,
            added_at timestamptz NOT NULL,
            seq bigserial NOT NULL,
            PRIMARY KEY (product_id, key, sha256)
        );
        CREATE INDEX sceneflow_assets_sha256 ON sceneflow_assets (sha256);
        CREATE TABLE sceneflow_runs (
            run_id text PRIMARY KEY,
            template_id text NOT NULL,
            template_sha256 text NOT NULL,
            template_path text,
            product_id text,
            status text NOT NULL,
            started_at timestamptz NOT NULL,
            finished_at timestamptz,
            cost_micros bigint NOT NULL DEFAULT 0,
            cost_estimated boolean NOT NULL DEFAULT false,
            simulated boolean NOT NULL DEFAULT false,
            folder text NOT NULL,
            final_video text,
            counts text NOT NULL,
            superseded_by text,
            host text,
            pid integer,
            process_start text,
            report text
        );
        CREATE INDEX sceneflow_runs_started ON sceneflow_runs (started_at DESC, run_id DESC);
        CREATE INDEX sceneflow_runs_template ON sceneflow_runs (template_id, started_at DESC);
        CREATE INDEX sceneflow_runs_product ON sceneflow_runs (product_id, started_at DESC);
        CREATE TABLE sceneflow_take_picks (
            template_id text NOT NULL,
            job_key text NOT NULL,
            take integer NOT NULL,
            node text NOT NULL,
            run_id text NOT NULL,
            picked_at timestamptz NOT NULL,
            PRIMARY KEY (template_id, job_key)
        );
        """),
        (2, "the job queue: jobs, their dependencies, provider slots, workers, the request journal", """
        CREATE TABLE sceneflow_limits (
            provider text PRIMARY KEY,
            slots integer NOT NULL CHECK (slots >= 0 AND slots <= 1000)
        );
        CREATE TABLE sceneflow_slots (
            provider text NOT NULL,
            slot integer NOT NULL,
            job_id bigint,
            PRIMARY KEY (provider, slot)
        );
        CREATE TABLE sceneflow_workers (
            name text PRIMARY KEY,
            host text NOT NULL,
            pid integer NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now(),
            stopped_at timestamptz
        );
        CREATE TABLE sceneflow_jobs (
            id bigserial PRIMARY KEY,
            run_id text NOT NULL,
            node text NOT NULL,
            provider text NOT NULL,
            cache_key text,
            priority integer NOT NULL DEFAULT 0,
            state text NOT NULL,
            pending integer NOT NULL DEFAULT 0,
            attempt integer NOT NULL DEFAULT 0,
            worker text,
            lease_until timestamptz,
            payload text NOT NULL DEFAULT '',
            result text,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            ready_at timestamptz,
            claimed_at timestamptz,
            finished_at timestamptz,
            UNIQUE (run_id, node)
        );
        CREATE INDEX sceneflow_jobs_ready ON sceneflow_jobs (priority DESC, id) WHERE state = 'ready';
        CREATE INDEX sceneflow_jobs_leases ON sceneflow_jobs (lease_until) WHERE state = 'running';
        CREATE INDEX sceneflow_jobs_run ON sceneflow_jobs (run_id);
        CREATE TABLE sceneflow_job_edges (
            parent bigint NOT NULL REFERENCES sceneflow_jobs (id) ON DELETE CASCADE,
            child bigint NOT NULL REFERENCES sceneflow_jobs (id) ON DELETE CASCADE,
            PRIMARY KEY (parent, child)
        );
        CREATE INDEX sceneflow_job_edges_child ON sceneflow_job_edges (child);
        CREATE TABLE sceneflow_journal (
            cache_key text PRIMARY KEY,
            job_id bigint NOT NULL,
            attempt integer NOT NULL,
            state text NOT NULL,
            request_id text,
            urls text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """),
        (3, "provider slots held by run processes: holder and lease", """
        ALTER TABLE sceneflow_slots ADD COLUMN holder text;
        ALTER TABLE sceneflow_slots ADD COLUMN lease_until timestamptz;
        CREATE INDEX sceneflow_slots_holder ON sceneflow_slots (holder) WHERE holder IS NOT NULL;
        """),
        (4, "the request journal's holders", """
        ALTER TABLE sceneflow_journal ADD COLUMN holder text;
        ALTER TABLE sceneflow_journal ADD COLUMN provider text;
        ALTER TABLE sceneflow_journal ADD COLUMN model text;
        """),
        (5, "cancel requests for runs, from any host", """
        ALTER TABLE sceneflow_runs ADD COLUMN cancel_requested_at timestamptz;
        """),
    ]

    public static var latest: Int { all.last?.version ?? 0 }

    /// The advisory lock key every migrating process takes (`'sceneflow'` as bytes).
    static let lockKey: Int64 = 0x73_63_65_6E_65_66_6C_6F

    /// The schema's version in the database (0: none yet).
    public static func version(_ pool: PostgresPool) throws -> Int {
        let exists = try pool.query("SELECT to_regclass('sceneflow_schema') IS NOT NULL")
        guard try exists.first?.makeRandomAccess()[0].decode(Bool.self) == true else { return 0 }
        let rows = try pool.query("SELECT coalesce(max(version), 0) FROM sceneflow_schema")
        return try rows.first?.makeRandomAccess()[0].decode(Int.self) ?? 0
    }

    /// Applies the migrations the database lacks; returns the versions applied (none: it was up to date).
    @discardableResult
    public static func migrate(_ pool: PostgresPool) throws -> [Int] {
        try pool.withConnection { connection in
            let session = PostgresTransaction(connection: connection, url: pool.url)
            try session.execute("SELECT pg_advisory_lock($1)", [PostgresData(int64: lockKey)])
            defer { _ = try? session.execute("SELECT pg_advisory_unlock($1)", [PostgresData(int64: lockKey)]) }
            try session.execute("CREATE TABLE IF NOT EXISTS sceneflow_schema (version integer PRIMARY KEY, summary text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            let current = try session.query("SELECT coalesce(max(version), 0) FROM sceneflow_schema").first?.makeRandomAccess()[0].decode(Int.self) ?? 0
            guard current <= latest else { throw newer(current, pool.url) }
            var applied: [Int] = []
            for migration in all where migration.version > current {
                try session.execute("BEGIN")
                do {
                    try session.script(migration.sql)
                    try session.execute("INSERT INTO sceneflow_schema (version, summary) VALUES ($1, $2)",
                                        [PostgresData(int64: Int64(migration.version)), PostgresData(string: migration.summary)])
                    try session.execute("COMMIT")
                } catch {
                    _ = try? session.execute("ROLLBACK")
                    throw StoreError("migration \(migration.version) (\(migration.summary)) of the database \(pool.url) failed: \(error)")
                }
                applied.append(migration.version)
            }
            return applied
        }
    }

    /// Throws unless the schema is exactly this SceneFlow's.
    public static func check(_ pool: PostgresPool) throws {
        let current = try version(pool)
        if current > latest { throw newer(current, pool.url) }
        if current < latest {
            throw StoreError("the database \(pool.url) has \(current == 0 ? "no SceneFlow schema yet" : "schema version \(current), older than this SceneFlow's \(latest)"); run `sceneflow db migrate`")
        }
    }

    static func newer(_ version: Int, _ url: DatabaseURL) -> StoreError {
        StoreError("the database \(url) has schema version \(version), newer than this SceneFlow's \(latest): a newer SceneFlow migrated it; use that version here")
    }
}
