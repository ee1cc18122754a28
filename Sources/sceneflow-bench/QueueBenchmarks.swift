import Foundation
import SceneFlowProcess
import SceneFlowRun
import SceneFlowTeam
import SceneFlowTestSupport

/// `sceneflow-bench queue`: the team queue drained by 1, 2 and 4 worker processes (no-op jobs,
/// then a template's jobs with dependencies and provider limits), wake-up latency, and workers
/// killed with SIGKILL while they drain. Uses the PostgreSQL named by `SCENEFLOW_TEST_*`, or
/// starts one. `sceneflow-bench queue-worker URL NAME CONCURRENCY LEASE` is one worker process.
enum QueueBenchmarks {
    /// One worker process: runs jobs until SIGTERM. A job's payload `sleep:S` sleeps S seconds;
    /// any other payload is a no-op.
    static func worker(_ all: [String]) async throws -> Never {
        // The queue-peers harness's protocol (../shared/bench/queue-peers): --ready-file is
        // written once connected, then a line `GO <epoch>` on stdin says when to start; a job
        // whose payload is `probe:I` appends "I <epoch>" to --probe-file as it starts.
        var arguments: [String] = [], readyFile: String?, probeFile: String?
        var rest = all[...]
        while let next = rest.popFirst() {
            switch next {
            case "--ready-file": readyFile = rest.popFirst()
            case "--probe-file": probeFile = rest.popFirst()
            default: arguments.append(next)
            }
        }
        guard arguments.count >= 4, let concurrency = Int(arguments[2]), let lease = Double(arguments[3]) else {
            FileHandle.standardError.write(Data("usage: sceneflow-bench queue-worker URL NAME CONCURRENCY LEASE [--ready-file F --probe-file F]\n".utf8))
            exit(64)
        }
        let pool = try PostgresPool(url: try DatabaseURL(arguments[0]))
        let probes = probeFile.flatMap { FileHandle(forWritingAtPath: $0) ?? (FileManager.default.createFile(atPath: $0, contents: nil) ? FileHandle(forWritingAtPath: $0) : nil) }
        let probeLock = NSLock()
        let worker = QueueWorker(pool: pool, name: arguments[1], concurrency: concurrency, lease: lease, pollInterval: 1) { job in
            if job.payload.hasPrefix("probe:"), let probes {
                let line = "\(job.payload.dropFirst(6)) \(String(format: "%.6f", Date().timeIntervalSince1970))\n"
                probeLock.withLock {
                    probes.seekToEndOfFile()
                    probes.write(Data(line.utf8))
                }
            } else if job.payload.hasPrefix("sleep:"), let seconds = Double(job.payload.dropFirst(6)) {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            }
            return ""
        }
        if let readyFile {
            _ = try pool.query("SELECT 1")
            try Data(String(format: "%.6f\n", Date().timeIntervalSince1970).utf8).write(to: URL(fileURLWithPath: readyFile))
            if let line = readLine(), let start = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
                let wait = start - Date().timeIntervalSince1970
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            }
        }
        let task = Task { try await worker.run() }
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM)
        source.setEventHandler { task.cancel() }
        source.resume()
        _ = try? await task.value
        exit(0)
    }

    /// `sceneflow-bench queue-peer-enqueue URL N`: N no-op jobs, one call each (the harness's enqueue).
    static func enqueue(_ arguments: [String]) async throws -> Never {
        guard arguments.count == 2, let n = Int(arguments[1]) else { exit(64) }
        let pool = try PostgresPool(url: try DatabaseURL(arguments[0]))
        let queue = try await JobQueue.connect(pool)
        let run = UUID().uuidString.prefix(8)
        for i in 0..<n { try await queue.enqueue(runID: "e\(run)", [.init(node: "n\(i)", provider: "noop")]) }
        await queue.close()
        exit(0)
    }

    /// `sceneflow-bench queue-peer-spec`: the queue-peers harness's peer file for this queue,
    /// its schema made from the migrations themselves (so it cannot drift).
    static func peerSpec() throws -> Never {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let install = Migrations.all.map(\.sql).joined(separator: ";\n")
            .replacingOccurrences(of: "CREATE TABLE ", with: "CREATE TABLE IF NOT EXISTS ")
            .replacingOccurrences(of: "CREATE INDEX ", with: "CREATE INDEX IF NOT EXISTS ")
        let spec: [String: Any] = [
            "describe": "SceneFlow's team queue (Swift, postgres-nio): batched one-statement claims with provider slots, fenced batched completions with dependencies, leases, LISTEN/NOTIFY wake-ups with a 1 s poll",
            "install_sql": install,
            "reset_sql": "TRUNCATE sceneflow_job_edges, sceneflow_jobs, sceneflow_slots, sceneflow_limits, sceneflow_workers RESTART IDENTITY CASCADE",
            "tables": ["sceneflow_jobs", "sceneflow_job_edges", "sceneflow_slots"],
            "enqueue_cmd": [binary, "queue-peer-enqueue", "{dsn}", "{n}"],
            "probe_sql": "INSERT INTO sceneflow_jobs (run_id, node, provider, payload, state, ready_at) VALUES ('probe', 'p%(i)s', 'noop', 'probe:%(i)s', 'ready', clock_timestamp()); SELECT pg_notify('sceneflow_jobs', 'noop')",
            "worker_cmd": [binary, "queue-worker", "{dsn}", "peer", "32", "30", "--ready-file", "{ready_file}", "--probe-file", "{probe_file}"],
            "done_count_sql": "SELECT count(*) FROM sceneflow_jobs WHERE state = 'succeeded' AND run_id <> 'probe'",
            "window_sql": "SELECT extract(epoch FROM min(claimed_at)), extract(epoch FROM max(finished_at)) FROM sceneflow_jobs WHERE run_id <> 'probe'",
        ]
        FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys]))
        exit(0)
    }

    static func run(directory: URL) async throws {
        guard let services = try await BenchServices.start(in: directory) else { return }
        defer { services.stop() }
        let env = services.environment
        let admin = try DatabaseURL(env["SCENEFLOW_TEST_DATABASE_URL"]!)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL

        print(pad("workload", 34) + pad("workers", 9) + pad("jobs/s", 10) + pad("xact/job", 10) + "WAL bytes/job")
        for (label, template) in [("10,000 no-op jobs", false), ("10,000 template jobs (deps, limits)", true)] {
            for workers in [1, 2, 4] {
                let (url, pool) = try fresh(admin)
                let queue = try await JobQueue.connect(pool)
                if template {
                    try await queue.setLimit(provider: "fal", slots: 10)
                    try await queue.setLimit(provider: "elevenlabs", slots: 5)
                    try await queue.setLimit(provider: "local", slots: 4)
                    for run in 0..<1_000 {
                        try await queue.enqueue(runID: "r\(run)", [
                            .init(node: "a.first_frame", provider: "fal"), .init(node: "b.first_frame", provider: "fal"),
                            .init(node: "a.audio", provider: "elevenlabs"), .init(node: "b.audio", provider: "elevenlabs"),
                            .init(node: "a.last_frame", provider: "fal", parents: ["a.first_frame"]),
                            .init(node: "a.video", provider: "fal", parents: ["a.first_frame", "a.last_frame", "a.audio"]),
                            .init(node: "b.video", provider: "fal", parents: ["b.first_frame", "b.audio"]),
                            .init(node: "c.first_frame", provider: "fal", parents: ["a.first_frame"]),
                            .init(node: "c.video", provider: "fal", parents: ["c.first_frame"]),
                            .init(node: "final.video", provider: "local", parents: ["a.video", "b.video", "c.video"]),
                        ])
                    }
                } else {
                    for batch in 0..<10 {
                        try await queue.enqueue(runID: "b\(batch)", (0..<1_000).map { JobQueue.NewJob(node: "n\($0)", provider: "noop") })
                    }
                }
                let before = try counters(pool)
                let processes = try (0..<workers).map { try launch(binary, url, name: "w\($0)", concurrency: 32, lease: 30) }
                while try done(pool) < 10_000 { try await Task.sleep(for: .milliseconds(100)) }
                for process in processes { process.terminate() }
                for process in processes { _ = await process.exit() }
                let after = try counters(pool)
                let window = try pool.query("SELECT extract(epoch FROM max(finished_at) - min(claimed_at))::float8 FROM sceneflow_jobs").first!.makeRandomAccess()[0].decode(Double.self)
                print(pad(label, 34) + pad("\(workers)", 9) + pad(String(format: "%.0f", 10_000 / window), 10)
                      + pad(String(format: "%.2f", Double(after.xact - before.xact) / 10_000), 10) + String(format: "%.0f", Double(after.wal - before.wal) / 10_000))
                await queue.close()
                pool.shutdown()
            }
        }

        // Wake-up: one idle worker; a job enqueued now and then; ready → claimed, by the database's clock.
        do {
            let (url, pool) = try fresh(admin)
            let queue = try await JobQueue.connect(pool)
            let process = try launch(binary, url, name: "idle", concurrency: 4, lease: 30)
            try await Task.sleep(for: .seconds(1))
            for i in 0..<60 {
                try await queue.enqueue(runID: "probe", [.init(node: "p\(i)", provider: "noop")])
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...60)))
            }
            while try done(pool) < 60 { try await Task.sleep(for: .milliseconds(50)) }
            let latencies = try pool.query("SELECT extract(epoch FROM claimed_at - ready_at)::float8 * 1000 FROM sceneflow_jobs").map { try $0.makeRandomAccess()[0].decode(Double.self) }.sorted()
            print(String(format: "wake-up (ready → claimed, one idle worker, 60 jobs): p50 %.2f ms, p95 %.2f ms, max %.2f ms",
                         latencies[latencies.count / 2], latencies[latencies.count * 95 / 100], latencies.last!))
            process.terminate()
            _ = await process.exit()
            await queue.close()
            pool.shutdown()
        }

        // Claim latency: one claimer taking 32 at a time over 10,000 ready jobs, then again after
        // 100,000 more jobs went through the table (finished rows and dead tuples left behind).
        do {
            let (_, pool) = try fresh(admin)
            let queue = try await JobQueue.connect(pool)
            func drain(_ label: String, jobs: Int) async throws -> [Double] {
                for batch in 0..<(jobs / 1_000) {
                    try await queue.enqueue(runID: "\(label)-\(batch)", (0..<1_000).map { JobQueue.NewJob(node: "n\($0)", provider: "noop") })
                }
                var latencies: [Double] = []
                latencies.reserveCapacity(jobs / 32 + 1)
                while true {
                    let start = ContinuousClock.now
                    let claimed = try await queue.claim(worker: "bench", capacity: 32, lease: 30)
                    let took = ContinuousClock.now - start
                    latencies.append(Double(took.components.attoseconds) / 1e15 + Double(took.components.seconds) * 1000)
                    if claimed.isEmpty { break }
                    _ = try await queue.complete(claimed.map { ($0, .succeeded(result: "")) })
                }
                return latencies.sorted()
            }
            func line(_ what: String, _ latencies: [Double]) -> String {
                String(format: "claim latency (%@, 32 a claim, %d claims): p50 %.2f ms, p99 %.2f ms, max %.2f ms", what, latencies.count,
                       latencies[latencies.count / 2], latencies[latencies.count * 99 / 100], latencies.last!)
            }
            let fresh = try await drain("fresh", jobs: 10_000)
            print(line("10,000 jobs, empty table", fresh))
            _ = try await drain("bulk", jobs: 100_000)
            let dead = try pool.query("SELECT coalesce(n_dead_tup, 0)::bigint, coalesce(n_live_tup, 0)::bigint FROM pg_stat_user_tables WHERE relname = 'sceneflow_jobs'").first?.makeRandomAccess()
            let after = try await drain("after", jobs: 10_000)
            print(line("10,000 jobs after 110,000 went through", after)
                  + String(format: " (%.1f× the p99 of an empty table; %lld live rows, %lld dead tuples)", after[after.count * 99 / 100] / fresh[fresh.count * 99 / 100],
                           try dead?[1].decode(Int64.self) ?? 0, try dead?[0].decode(Int64.self) ?? 0))
            await queue.close()
            pool.shutdown()
        }

        // Dead workers: 4 workers draining 2,000 short jobs, one killed (SIGKILL) every 2 s and started again.
        do {
            let (url, pool) = try fresh(admin)
            let queue = try await JobQueue.connect(pool)
            try await queue.setLimit(provider: "fal", slots: 3)
            try await queue.enqueue(runID: "k", (0..<2_000).map { JobQueue.NewJob(node: "n\($0)", provider: $0 % 2 == 0 ? "fal" : "local", payload: "sleep:0.02") })
            var processes = try (0..<4).map { try launch(binary, url, name: "w\($0)", concurrency: 8, lease: 2) }
            let started = Date()
            var kills = 0, peakFal = 0
            var lastKill = Date()
            while try done(pool) < 2_000 {
                if Date().timeIntervalSince(started) > 600 { break }
                peakFal = max(peakFal, try pool.query("SELECT count(*)::int FROM sceneflow_slots WHERE provider = 'fal' AND job_id IS NOT NULL").first!.makeRandomAccess()[0].decode(Int.self))
                if Date().timeIntervalSince(lastKill) >= 2 {
                    let victim = kills % 4
                    kill(processes[victim].pid, SIGKILL)
                    _ = await processes[victim].exit()
                    processes[victim] = try launch(binary, url, name: "w\(victim)", concurrency: 8, lease: 2)
                    kills += 1
                    lastKill = Date()
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            for process in processes { process.terminate() }
            for process in processes { _ = await process.exit() }
            let states = try await queue.counts()
            let retried = try pool.query("SELECT count(*)::int, coalesce(max(attempt), 0) FROM sceneflow_jobs WHERE attempt > 1").first!.makeRandomAccess()
            print(String(format: "kill -9 every 2 s, lease 2 s: %d kills, %.1f s, jobs %@, taken over %d (max attempt %d), lost %d, fal slots in use at most %d of 3",
                         kills, Date().timeIntervalSince(started), "\(states)", try retried[0].decode(Int.self), try retried[1].decode(Int.self),
                         2_000 - (states["succeeded"] ?? 0), peakFal))
            await queue.close()
            pool.shutdown()
        }
    }

    static func fresh(_ admin: DatabaseURL) throws -> (String, PostgresPool) {
        let pool = try PostgresPool(url: admin)
        let name = "queue_\(UUID().uuidString.prefix(8).lowercased())"
        try pool.query("CREATE DATABASE \(name)")
        pool.shutdown()
        var url = admin
        url.database = name
        let fresh = try PostgresPool(url: url)
        try Migrations.migrate(fresh)
        var text = URLComponents()
        text.scheme = "postgres"
        text.user = url.user
        text.password = url.password
        text.host = url.host
        text.port = url.port
        text.path = "/\(name)"
        text.queryItems = [URLQueryItem(name: "sslmode", value: "disable")]
        return (text.string!, fresh)
    }

    static func launch(_ binary: URL, _ url: String, name: String, concurrency: Int, lease: Double) throws -> ChildProcess {
        try ChildProcess.launch(Command(binary, arguments: ["queue-worker", url, name, "\(concurrency)", "\(lease)"], stdout: .discard, stderr: .discard))
    }

    static func done(_ pool: PostgresPool) throws -> Int {
        try pool.query("SELECT count(*)::int FROM sceneflow_jobs WHERE state IN ('succeeded', 'failed', 'blocked')").first!.makeRandomAccess()[0].decode(Int.self)
    }

    static func counters(_ pool: PostgresPool) throws -> (xact: Int64, wal: Int64) {
        let row = try pool.query("SELECT txid_current(), (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint").first!.makeRandomAccess()
        return (try row[0].decode(Int64.self), try row[1].decode(Int64.self))
    }
}
