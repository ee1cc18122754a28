import Foundation
@testable import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowProcess
@testable import SceneFlowRun
@testable import SceneFlowTeam
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// `run/batch --detach` and `sceneflow worker` as separate hosts use them: runs queued on one
/// host, hydrated by workers on others, followed from a third; workers killed, stopped and
/// taken over. Every process is a real `sceneflow` against the real PostgreSQL and S3 servers.
@Suite(.tags(.endToEnd, .ffmpeg), .timeLimit(.minutes(5))) struct WorkerTests {
    let template = packageRoot.appendingPathComponent("samples/testimonial.yaml").path
    let unboxing = packageRoot.appendingPathComponent("samples/unboxing.json").path

    func worker(_ host: TeamHost, _ arguments: [String] = [], lease: Int = 4) throws -> ChildProcess {
        try host.launch(["worker"] + arguments, lease: lease)
    }

    func row(_ pool: PostgresPool, _ runID: String) throws -> (status: String, host: String?, folder: String)? {
        guard let row = try pool.query("SELECT status, host, folder FROM sceneflow_runs WHERE run_id = $1", [.init(string: runID)]).first else { return nil }
        let r = row.makeRandomAccess()
        return (try r["status"].decode(String.self), try r["host"].decode(String?.self), try r["folder"].decode(String.self))
    }

    func status(_ pool: PostgresPool, _ runID: String) -> String? {
        (try? row(pool, runID))??.status
    }

    func report(_ pool: PostgresPool, _ runID: String) -> RunReport? {
        guard let row = try? pool.query("SELECT report FROM sceneflow_runs WHERE run_id = $1", [.init(string: runID)]).first,
              let text = try? row.makeRandomAccess()[0].decode(String?.self) else { return nil }
        return try? JSONCoding.decoder.decode(RunReport.self, from: Data(text.utf8))
    }

    /// The issue's flow: a batch queued on one host (its files deleted right after: the runs
    /// read what was submitted), drained by workers on two others, followed on a fourth; every
    /// report agrees with the files on the worker's disk.
    @Test func aBatchQueuedOnOneHostIsDrainedByWorkersOnOthers() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(4, database: database)
        let csvFolder = h[0].folder.appendingPathComponent("products")
        try FileManager.default.createDirectory(at: csvFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: productImage, to: csvFolder.appendingPathComponent("a.png"))
        try FileManager.default.copyItem(at: logoImage, to: csvFolder.appendingPathComponent("b.png"))
        try "product_id,product_1\none,a.png\ntwo,b.png\nthree,a.png\n".write(to: csvFolder.appendingPathComponent("batch.csv"), atomically: true, encoding: .utf8)
        let submitted = try await h[0].sceneflowCommand(["batch", unboxing, "--products", csvFolder.appendingPathComponent("batch.csv").path,
                                                          "--offline", "--resolution", "160", "--detach"])
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let ids = submitted.stdout.split(separator: "\n").map(String.init)
        #expect(ids.count == 3 && ids.allSatisfy { $0.hasSuffix("-one") || $0.hasSuffix("-two") || $0.hasSuffix("-three") }, "\(submitted.stdout)")
        try FileManager.default.removeItem(at: csvFolder)

        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        for id in ids { #expect(try row(pool, id)?.status == "queued") }
        let listed = try await h[3].sceneflowCommand(["runs", "list", "--format", "json"])
        #expect(listed.stdout.components(separatedBy: "\"queued\"").count - 1 == 3, "\(listed.stdout)")

        let workers = [try worker(h[1], ["--concurrency", "1"]), try worker(h[2], ["--concurrency", "1"])]
        for id in ids {
            let waited = try await h[3].sceneflowCommand(["runs", "wait", id, "--timeout", "200"], timeout: 240)
            #expect(waited.status == 0 && waited.stdout.contains("run \(id): succeeded"), "\(waited.stdout)\(waited.stderr)")
        }
        for process in workers { process.send(SIGTERM) }
        for process in workers {
            let outcome = await process.exit()
            #expect(outcome.termination == .exited(0), "\(String(decoding: outcome.stderr, as: UTF8.self))")
        }
        let workerHosts = Set([h[1], h[2]].map { $0.environment["SCENEFLOW_HOST_NAME"]! })
        for id in ids {
            let recorded = try #require(try row(pool, id))
            let host = try #require(recorded.host)
            #expect(workerHosts.contains(host), "run \(id) made on \(host)")
            // The run folder is on the worker's disk, and its report is the history's.
            let folder = URL(fileURLWithPath: recorded.folder)
            let onDisk = try RunReport.read(from: folder.appendingPathComponent("run.json"))
            #expect(onDisk.status == .succeeded && onDisk.template.path == "\(h[0].environment["SCENEFLOW_HOST_NAME"]!):\(unboxing)")
            let final = try #require(onDisk.finalVideo)
            let node = try #require(onDisk.node("final.video"))
            #expect(try Digest.sha256(fileAt: folder.appendingPathComponent(final)) == node.sha256)
            // It read the bytes submitted for its product, not a file that is gone.
            let product = try #require(onDisk.nodes.first { $0.id.hasPrefix("asset:product_1") })
            let expected = try Digest.sha256(fileAt: id.hasSuffix("-two") ? logoImage : productImage)
            #expect(product.sha256 == expected)
        }
        let shown = try await h[0].sceneflowCommand(["runs", "show", ids[0]])
        #expect(shown.stdout.contains("final video: host") && shown.stdout.contains("folder: host"), "\(shown.stdout)")
        // The templates written out for the runs are gone with them.
        for worker in [h[1], h[2]] {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: worker.folder.appendingPathComponent("ws/team/runs").path)) ?? []
            #expect(left.isEmpty, "\(left)")
        }
    }

    /// A worker killed mid-run: another takes the run over within the lease and finishes it
    /// from the cache. A worker stopped by SIGTERM hands its run back (`queued`), and a queued
    /// run no worker holds is cancelled at once.
    @Test func aKilledWorkersRunIsTakenOverAndAStoppedOneIsHandedBack() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(3, database: database)
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "brand_logo", logoImage.path]).status == 0)
        let queued = try await h[0].sceneflowCommand(["run", template, "--product", "grinder", "--offline", "--resolution", "200", "--detach"])
        let id = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(queued.status == 0 && !id.isEmpty, "\(queued.stderr)")

        let first = try worker(h[1])
        let firstHost = h[1].environment["SCENEFLOW_HOST_NAME"]!
        let started = await waitUntil(timeout: 120, interval: 0.05) { [self] in
            (try? row(pool, id))??.host == firstHost && (report(pool, id)?.nodes.contains { $0.job != nil && $0.status == .succeeded } ?? false)
        }
        #expect(started, "the first worker made something before it was killed")
        first.send(SIGKILL)
        _ = await first.exit()
        let killedAt = Date()
        let second = try worker(h[2])
        let waited = try await h[0].sceneflowCommand(["runs", "wait", id, "--timeout", "200"], timeout: 240)
        #expect(waited.status == 0, "\(waited.stdout)\(waited.stderr)")
        let taken = try #require(try row(pool, id))
        #expect(taken.host == h[2].environment["SCENEFLOW_HOST_NAME"]!)
        let finished = try RunReport.read(from: URL(fileURLWithPath: taken.folder).appendingPathComponent("run.json"))
        #expect(finished.counts.cached > 0, "what the killed worker made was reused: \(finished.counts.summary)")
        let attempt = try pool.query("SELECT attempt FROM sceneflow_jobs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess()[0].decode(Int.self)
        #expect(attempt == 2)
        #expect(Date().timeIntervalSince(killedAt) < 120)

        // SIGTERM while a run goes on: handed back, the history says queued, nothing is lost.
        let again = try await h[0].sceneflowCommand(["run", template, "--product", "grinder", "--offline", "--resolution", "200", "--regenerate", "intro", "--detach"])
        let handed = again.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let running = await waitUntil(timeout: 60, interval: 0.05) { [self] in status(pool, handed) == "running" }
        #expect(running)
        second.send(SIGTERM)
        let stopped = await second.exit()
        let stoppedLog = String(decoding: stopped.stderr, as: UTF8.self)
        #expect(stopped.termination == .exited(0), "\(stoppedLog)")
        #expect(stoppedLog.contains("handed back"), "\(stoppedLog)")
        #expect(try row(pool, handed)?.status == "queued")
        let state = try pool.query("SELECT state FROM sceneflow_jobs WHERE run_id = $1", [.init(string: handed)]).first?.makeRandomAccess()[0].decode(String.self)
        #expect(state == "ready")
        let cancelled = try await h[1].sceneflowCommand(["runs", "cancel", handed])
        #expect(cancelled.status == 0 && cancelled.stdout.contains("cancelled (it was queued: no worker held it)"), "\(cancelled.stdout)\(cancelled.stderr)")
        let waitedCancelled = try await h[1].sceneflowCommand(["runs", "wait", handed])
        #expect(waitedCancelled.status == 1 && waitedCancelled.stdout.contains("cancelled"))
    }

    /// A running detached run is cancelled from another host: the worker cancels that run
    /// alone and goes on with the queue.
    @Test func aDetachedRunIsCancelledFromAnyHostAndTheWorkerGoesOn() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(3, database: database)
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        let assets = ["--asset", "product_1=\(productImage.path)", "--asset", "brand_logo=\(logoImage.path)", "--offline", "--resolution", "200", "--detach"]
        let slow = try await h[0].sceneflowCommand(["run", template] + assets)
        let slowID = slow.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let quick = try await h[0].sceneflowCommand(["run", unboxing, "--asset", "product_1=\(productImage.path)", "--offline", "--resolution", "160", "--detach"])
        let quickID = quick.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(slow.status == 0 && quick.status == 0, "\(slow.stderr)\(quick.stderr)")
        let worker = try worker(h[1], ["--concurrency", "1"])
        let running = await waitUntil(timeout: 60, interval: 0.05) { [self] in status(pool, slowID) == "running" }
        #expect(running)
        let cancel = try await h[2].sceneflowCommand(["runs", "cancel", slowID])
        #expect(cancel.status == 0 && cancel.stdout.contains("asked its host to cancel it"), "\(cancel.stdout)\(cancel.stderr)")
        let waited = try await h[2].sceneflowCommand(["runs", "wait", slowID, "--timeout", "100"], timeout: 120)
        #expect(waited.status == 1 && waited.stdout.contains("cancelled"), "\(waited.stdout)")
        let next = try await h[2].sceneflowCommand(["runs", "wait", quickID, "--timeout", "150"], timeout: 180)
        #expect(next.status == 0, "the worker went on with the queue: \(next.stdout)\(next.stderr)")
        worker.send(SIGTERM)
        #expect(await worker.exit().termination == .exited(0))
    }

    /// What cannot be queued is refused before anything is stored or queued, with a clear
    /// message and the documented exit status.
    @Test func whatCannotBeQueuedIsRefusedAndNothingIsQueued() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(1, database: database)[0]
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        let missing = try await h.sceneflowCommand(["run", template, "--offline", "--detach"])
        #expect(missing.status == 1 && missing.stderr.contains("nothing was queued"), "\(missing.stderr)")
        let out = try await h.sceneflowCommand(["run", unboxing, "--asset", "product_1=\(productImage.path)", "--detach", "--out", h.folder.appendingPathComponent("o").path])
        #expect(out.status == 64 && out.stderr.contains("worker's host"), "\(out.stderr)")
        let simulated = try await h.sceneflowCommand(["run", unboxing, "--asset", "product_1=\(productImage.path)", "--detach", "--simulate", "10"])
        #expect(simulated.status == 64, "\(simulated.stderr)")
        try "product_id,product_1\none,\(productImage.path)\n".write(to: h.folder.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
        let budget = try await h.sceneflowCommand(["batch", unboxing, "--products", h.folder.appendingPathComponent("b.csv").path, "--detach", "--max-cost", "5"])
        #expect(budget.status == 64 && budget.stderr.contains("one budget"), "\(budget.stderr)")
        #expect(try pool.query("SELECT count(*)::int FROM sceneflow_jobs").first?.makeRandomAccess()[0].decode(Int.self) == 0)
        #expect(try pool.query("SELECT count(*)::int FROM sceneflow_runs").first?.makeRandomAccess()[0].decode(Int.self) == 0)

        // The embedded default has no queue.
        let folder = try temporaryDirectory()
        let embedded = try await sceneflow(["run", unboxing, "--asset", "product_1=\(productImage.path)", "--detach", "--workspace", folder.path])
        #expect(embedded.status == 64 && embedded.stderr.contains("team's queue"), "\(embedded.stderr)")
        let noTeam = try await sceneflow(["worker", "--workspace", folder.path])
        #expect(noTeam.status == 64 && noTeam.stderr.contains("team's queue"), "\(noTeam.stderr)")
    }

    /// `worker --metrics-port`: Prometheus scrapes what the worker did (claims, wake-ups,
    /// heartbeats, runs) and the team's state (jobs by state, slots against limits).
    @Test func aWorkersMetricsSayWhatItDidAndWhatTheTeamHas() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(2, database: database)
        #expect(try await h[0].sceneflowCommand(["limits", "set", "local", "3"]).status == 0)
        let queued = try await h[0].sceneflowCommand(["run", unboxing, "--asset", "product_1=\(productImage.path)", "--offline", "--resolution", "160", "--detach"])
        let id = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try unusedPort()
        let worker = try worker(h[1], ["--metrics-port", "\(port)"])
        #expect(await waitUntil(timeout: 60) { isListening(port: port) })
        #expect(try await h[0].sceneflowCommand(["runs", "wait", id, "--timeout", "100"], timeout: 120).status == 0)
        func scrape() async throws -> [String: Double] {
            let response = try await HTTPClient.shared.send(HTTPRequest(.get, "http://127.0.0.1:\(port)/metrics"))
            #expect(response.status == 200)
            var samples: [String: Double] = [:]
            for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Double(parts[1]) { samples[String(parts[0])] = value }
            }
            return samples
        }
        // Heartbeats come every lease / 4 (1 s here).
        try await Task.sleep(for: .seconds(2))
        let samples = try await scrape()
        #expect(samples["sceneflow_database_up"] == 1, "\(samples)")
        #expect(samples[#"sceneflow_jobs{state="succeeded"}"#] == 1, "\(samples)")
        #expect(samples[#"sceneflow_provider_limit{provider="local"}"#] == 3, "\(samples)")
        #expect(samples[#"sceneflow_provider_in_flight{provider="local"}"#] == 0, "\(samples)")
        #expect(samples[#"sceneflow_runs_hydrated_total{status="succeeded"}"#] == 1, "\(samples)")
        #expect(samples["sceneflow_queue_jobs_claimed_total"] == 1, "\(samples)")
        #expect((samples["sceneflow_queue_claim_seconds_count"] ?? 0) >= 1, "\(samples)")
        #expect(samples["sceneflow_queue_wakeup_seconds_count"] == 1, "\(samples)")
        #expect((samples["sceneflow_worker_heartbeats_total"] ?? 0) >= 1, "\(samples)")
        #expect(samples["sceneflow_workers_alive"] == 1, "\(samples)")
        #expect(try await HTTPClient.shared.send(HTTPRequest(.get, "http://127.0.0.1:\(port)/other")).status == 404)
        worker.send(SIGTERM)
        #expect(await worker.exit().termination == .exited(0))
    }

    /// A queue job whose description names another run (or a path) is not taken: the job's own
    /// run fails saying so, and nothing outside the worker's folders is touched.
    @Test func aDescriptionNamingAnotherRunIsRefused() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(2, database: database)
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        let victim = h[1].folder.appendingPathComponent("victim")
        try FileManager.default.createDirectory(at: victim.appendingPathComponent("important"), withIntermediateDirectories: true)
        let queued = try await h[0].sceneflowCommand(["run", unboxing, "--asset", "product_1=\(productImage.path)", "--offline", "--resolution", "160", "--detach"])
        let id = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try pool.query("UPDATE sceneflow_jobs SET payload = replace(payload, $1, $2) WHERE run_id = $3",
                       [.init(string: "\"runID\":\"\(id)\""), .init(string: "\"runID\":\"..\\/..\\/victim\""), .init(string: id)])
        #expect(try pool.query("SELECT payload FROM sceneflow_jobs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess()[0].decode(String.self).contains("victim") == true)
        let worker = try worker(h[1])
        let waited = try await h[0].sceneflowCommand(["runs", "wait", id, "--timeout", "60"], timeout: 90)
        #expect(waited.status == 1 && waited.stdout.contains("failed"), "\(waited.stdout)\(waited.stderr)")
        let shown = try await h[0].sceneflowCommand(["runs", "show", id])
        #expect(shown.stdout.contains("names run"), "\(shown.stdout)")
        #expect(FileManager.default.fileExists(atPath: victim.appendingPathComponent("important").path), "nothing outside the worker's folders was touched")
        worker.send(SIGTERM)
        #expect(await worker.exit().termination == .exited(0))
    }

    /// A worker that cannot take a run on (no key for its provider) gives it back for another
    /// worker, saying why in the run's row; after 5 tries the run fails with that reason.
    @Test func aWorkerWithoutTheKeysGivesTheRunBack() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        var h = try services.hosts(2, database: database)
        for key in ["FAL_KEY", "GEMINI_API_KEY", "ELEVENLABS_API_KEY"] { h[1].environment[key] = "" }
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        // Not --offline: its models need keys, which the worker's host has not.
        let queued = try await h[0].sceneflowCommand(["run", unboxing, "--asset", "product_1=\(productImage.path)", "--detach"])
        let id = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(queued.status == 0, "\(queued.stderr)")
        let worker = try worker(h[1])
        @Sendable func reason() -> String? {
            guard let text = try? pool.query("SELECT report FROM sceneflow_runs WHERE run_id = $1 AND status = 'queued'", [.init(string: id)]).first?
                .makeRandomAccess()[0].decode(String?.self) else { return nil }
            return (try? JSONCoding.decoder.decode(RunReport.self, from: Data(text.utf8)))?.stopReason
        }
        let waiting = await waitUntil(timeout: 60, interval: 0.1) { reason()?.contains("waiting for a worker that can take it on") == true }
        #expect(waiting, "\(reason() ?? "no reason")")
        #expect(reason()?.contains("FAL_KEY") == true, "\(reason() ?? "")")
        let waited = try await h[0].sceneflowCommand(["runs", "wait", id, "--timeout", "120"], timeout: 150)
        #expect(waited.status == 1 && waited.stdout.contains("failed"), "\(waited.stdout)\(waited.stderr)")
        let shown = try await h[0].sceneflowCommand(["runs", "show", id])
        #expect(shown.stdout.contains("attempt 5") && shown.stdout.contains("FAL_KEY"), "\(shown.stdout)")
        worker.send(SIGTERM)
        #expect(await worker.exit().termination == .exited(0))
    }

    /// A run that regenerates, handed back mid-way: the next worker uses the takes the first
    /// made instead of making (and paying for) them again.
    @Test func aHandedBackRegenerationKeepsTheTakesAlreadyMade() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(3, database: database)
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        let assets = ["--asset", "product_1=\(productImage.path)", "--asset", "brand_logo=\(logoImage.path)", "--offline", "--resolution", "480"]
        let first = try await h[0].sceneflowCommand(["run", template] + assets + ["--detach"])
        let firstID = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let one = try worker(h[1])
        #expect(try await h[0].sceneflowCommand(["runs", "wait", firstID, "--timeout", "150"], timeout: 180).status == 0)
        // Now every node is cached: regenerating makes new takes, some before the stop.
        let again = try await h[0].sceneflowCommand(["run", template] + assets + ["--regenerate", "intro", "--regenerate", "problem", "--regenerate", "verdict", "--detach"])
        let id = again.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        @Sendable func takes(_ report: RunReport?) -> [String: Int] {
            var takes: [String: Int] = [:]
            for node in report?.nodes ?? [] where node.job != nil && node.status == .succeeded && (node.take ?? 1) > 1 { takes[node.id] = node.take }
            return takes
        }
        // The worker's own run.json (rewritten every second) says when a new take is made.
        let local = h[1].folder.appendingPathComponent("ws/runs/\(id)/run.json")
        let someMade = await waitUntil(timeout: 120, interval: 0.05) { !takes(try? RunReport.read(from: local)).isEmpty }
        #expect(someMade)
        one.send(SIGTERM)
        #expect(await one.exit().termination == .exited(0))
        let row = try #require(try pool.query("SELECT status, report FROM sceneflow_runs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess())
        #expect(try row[0].decode(String.self) == "queued", "the run was handed back before it ended")
        let handedBack = takes(try JSONCoding.decoder.decode(RunReport.self, from: Data(try row[1].decode(String.self).utf8)))
        #expect(!handedBack.isEmpty)
        let two = try worker(h[2])
        #expect(try await h[0].sceneflowCommand(["runs", "wait", id, "--timeout", "150"], timeout: 180).status == 0)
        let folder = try #require(try pool.query("SELECT folder FROM sceneflow_runs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess()[0].decode(String.self))
        let finished = try RunReport.read(from: URL(fileURLWithPath: folder).appendingPathComponent("run.json"))
        two.send(SIGTERM)
        let stopped = await two.exit()
        let log = String(decoding: stopped.stderr, as: UTF8.self)
        #expect(stopped.termination == .exited(0), "\(log)")
        for (node, take) in handedBack {
            let now = try #require(finished.node(node))
            #expect(now.take == take && now.status == .cached, "\(node): take \(now.take ?? 0) \(now.status.rawValue) (\(now.reason ?? "")), was take \(take) made before the hand-back\n\(log)")
        }
    }

    /// A worker started under `nohup` (SIGHUP ignored) keeps working when its terminal goes;
    /// SIGTERM still stops it cleanly.
    @Test func aWorkerUnderNohupOutlivesAHangUp() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let host = try services.hosts(1, database: database)[0]
        var environment = ProcessInfo.processInfo.environment
        environment.merge(host.environment) { $1 }
        let quoted = ([sceneflowBinary.path, "worker"] + host.workspace).map { "'\($0)'" }.joined(separator: " ")
        let worker = try ChildProcess.launch(Command(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "trap '' HUP; exec \(quoted)"],
                                                     environment: environment, workingDirectory: host.folder, stdout: .discard,
                                                     stderr: .capture(limit: 1 << 14, keep: .tail)))
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        @Sendable func alive() -> Int {
            (try? pool.query("SELECT count(*)::int FROM sceneflow_workers WHERE stopped_at IS NULL").first?.makeRandomAccess()[0].decode(Int.self)) ?? 0
        }
        let started = await waitUntil(timeout: 30, interval: 0.1) { alive() == 1 }
        #expect(started)
        worker.send(SIGHUP)
        try await Task.sleep(for: .seconds(1))
        #expect(worker.isRunning, "a hang-up does not stop a worker started under nohup")
        worker.send(SIGTERM)
        let outcome = await worker.exit()
        #expect(outcome.termination == .exited(0), "\(String(decoding: outcome.stderr, as: UTF8.self))")
        #expect(alive() == 0, "a stopped worker is not counted alive")
    }
}
