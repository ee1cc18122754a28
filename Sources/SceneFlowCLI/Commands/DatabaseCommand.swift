import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTeam

/// `sceneflow db migrate|status`: team mode's database (docs/team.md).
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Team mode's PostgreSQL database: create or upgrade its schema, and say what is in it.",
        subcommands: [Migrate.self, Status.self]
    )

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the schema (idempotent; hosts migrating at once take turns).")
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func run() throws {
            let pool = try DatabaseCommand.pool(workspaceOptions)
            defer { pool.shutdown() }
            do {
                let applied = try Migrations.migrate(pool)
                if applied.isEmpty {
                    printOut("\(pool.url): schema version \(Migrations.latest), up to date")
                } else {
                    for version in applied {
                        printOut("\(pool.url): applied migration \(version) (\(Migrations.all.first { $0.version == version }!.summary))")
                    }
                    printOut("\(pool.url): schema version \(Migrations.latest)")
                }
            } catch {
                throw CommandFailure.error("\(error)")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The database, its schema version and what it holds.")
        @OptionGroup var workspaceOptions: WorkspaceOptions
        @Flag(help: "One JSON object instead of text.") var json = false

        struct Summary: Codable {
            var database: String
            var objects: String
            var schemaVersion: Int
            var latestSchemaVersion: Int
            var products: Int
            var assets: Int
            var runs: [String: Int]
            /// Workers whose heartbeat is recent (the last minute), jobs by state, limits in use.
            var workers = 0
            var jobs: [String: Int] = [:]
            var limits: [String: String] = [:]

            enum CodingKeys: String, CodingKey {
                case database, objects, products, assets, runs, workers, jobs, limits
                case schemaVersion = "schema_version"
                case latestSchemaVersion = "latest_schema_version"
            }
        }

        func run() throws {
            let team = try workspaceOptions.team()
            let pool = try DatabaseCommand.pool(workspaceOptions)
            defer { pool.shutdown() }
            do {
                let version = try Migrations.version(pool)
                var summary = Summary(database: pool.url.description, objects: team.objects?.description ?? "-", schemaVersion: version,
                                      latestSchemaVersion: Migrations.latest, products: 0, assets: 0, runs: [:])
                if version > 0 {
                    let assets = try pool.query("SELECT count(DISTINCT product_id), count(*) FROM sceneflow_assets").first!.makeRandomAccess()
                    summary.products = try assets[0].decode(Int.self)
                    summary.assets = try assets[1].decode(Int.self)
                    for row in try pool.query("SELECT status, count(*) FROM sceneflow_runs GROUP BY status ORDER BY status") {
                        let r = row.makeRandomAccess()
                        summary.runs[try r[0].decode(String.self)] = try r[1].decode(Int.self)
                    }
                }
                if version >= 2 {
                    summary.workers = try pool.query("SELECT count(*)::int FROM sceneflow_workers WHERE stopped_at IS NULL AND heartbeat_at > now() - interval '1 minute'")
                        .first!.makeRandomAccess()[0].decode(Int.self)
                    for row in try pool.query("SELECT state, count(*)::int FROM sceneflow_jobs GROUP BY state ORDER BY state") {
                        let r = row.makeRandomAccess()
                        summary.jobs[try r[0].decode(String.self)] = try r[1].decode(Int.self)
                    }
                    for row in try pool.query("SELECT l.provider, l.slots, (SELECT count(*)::int FROM sceneflow_slots s WHERE s.provider = l.provider AND s.job_id IS NOT NULL AND (s.holder IS NULL OR s.lease_until >= now())) FROM sceneflow_limits l ORDER BY 1") {
                        let r = row.makeRandomAccess()
                        summary.limits[try r[0].decode(String.self)] = "\(try r[2].decode(Int.self))/\(try r[1].decode(Int.self))"
                    }
                }
                if json {
                    printOut(String(decoding: try JSONCoding.compact.encode(summary), as: UTF8.self))
                    return
                }
                printOut("database: \(summary.database)")
                printOut("objects:  \(summary.objects)")
                let state = version == Migrations.latest ? "up to date" : version < Migrations.latest ? "older: run `sceneflow db migrate`" : "newer than this SceneFlow"
                printOut("schema:   version \(version) of \(Migrations.latest) (\(state))")
                printOut("assets:   \(summary.assets) in \(summary.products) product\(summary.products == 1 ? "" : "s")")
                let runs = summary.runs.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                printOut("runs:     \(runs.isEmpty ? "none" : runs)")
                let jobs = summary.jobs.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                printOut("workers:  \(summary.workers) alive; jobs: \(jobs.isEmpty ? "none queued" : jobs)")
                let limits = summary.limits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                printOut("limits:   \(limits.isEmpty ? "none (each process uses its own --limit)" : limits + " in use")")
            } catch {
                throw CommandFailure.error("\(error)")
            }
        }
    }

    static func pool(_ options: WorkspaceOptions) throws -> PostgresPool {
        let team = try options.team()
        guard team.isTeam else {
            throw CommandFailure.usage("no team database is configured: set SCENEFLOW_DATABASE_URL and SCENEFLOW_OBJECTS (or pass --database and --objects); see docs/team.md")
        }
        do { return try team.pool() } catch { throw CommandFailure.error("\(error)") }
    }
}
