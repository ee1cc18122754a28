import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTeam
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// `sceneflow` processes in team mode against the real servers: separate workspaces and working
/// folders stand for separate hosts (nothing shared on disk but what the servers hold).
@Suite(.tags(.endToEnd), .timeLimit(.minutes(5))) struct TeamCommandTests {
    typealias Host = TeamHost

    func hosts(_ count: Int, services: TeamServices, database: DatabaseURL, objects: String? = nil) throws -> [Host] {
        try services.hosts(count, database: database, objects: objects)
    }

    func runs(_ result: CommandResult) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    /// The flow: assets added on one host, a run of that product on another, the
    /// history read on a third; all agree, and the run read the bytes that were added.
    @Test func assetsOnOneHostARunOnAnotherTheHistoryOnAThird() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try hosts(3, services: services, database: database)
        let add1 = try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path])
        #expect(add1.status == 0, "\(add1.stderr)")
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "brand_logo", logoImage.path]).status == 0)

        let template = packageRoot.appendingPathComponent("samples/testimonial.yaml").path
        let run = try await h[1].sceneflowCommand(["run", template, "--product", "grinder", "--simulate", "1000"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try FileManager.default.contentsOfDirectory(at: h[1].folder.appendingPathComponent("ws/runs"), includingPropertiesForKeys: nil)
            .map { $0.appendingPathComponent("run.json") }.first { FileManager.default.fileExists(atPath: $0.path) })
        let loaded = try RunReport.read(from: report)
        let inputDigests = Set(loaded.nodes.filter { $0.kind.isInput }.compactMap(\.sha256))
        #expect(inputDigests.contains(Digest.sha256(try Data(contentsOf: productImage))), "the run read the product image added on the first host")

        let listed = try runs(try await h[2].sceneflowCommand(["runs", "list", "--format", "json"]))
        #expect(listed.count == 1)
        #expect(listed.first?["run_id"] as? String == loaded.runID)
        #expect(listed.first?["status"] as? String == "succeeded")
        #expect(listed.first?["product_id"] as? String == "grinder")
        let shown = try await h[2].sceneflowCommand(["runs", "show", loaded.runID])
        #expect(shown.status == 0 && shown.stdout.contains("run \(loaded.runID): succeeded"), "\(shown.stderr)")
        let explained = try await h[2].sceneflowCommand(["explain", loaded.runID, "intro.first_frame"])
        #expect(explained.status == 0, "explain reads the history's report on a host without the folder: \(explained.stderr)")
        let products = try await h[2].sceneflowCommand(["assets", "list"])
        #expect(products.stdout.contains("grinder"), "\(products.stdout)\(products.stderr)")
        for result in [add1, run] { #expect(!(result.stdout + result.stderr).contains(services.databasePassword)) }
    }

    /// One cache for the team: what one host made, another reuses (downloaded once, verified),
    /// and pays for nothing.
    @Test(.tags(.ffmpeg)) func anOutputMadeOnOneHostIsReusedOnAnother() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try hosts(2, services: services, database: database)
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        let template = packageRoot.appendingPathComponent("samples/unboxing.json").path
        let first = try await h[0].sceneflowCommand(["run", template, "--product", "grinder", "--offline"], timeout: 240)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await h[1].sceneflowCommand(["run", template, "--product", "grinder", "--offline"], timeout: 240)
        #expect(second.status == 0, "\(second.stderr)")
        let listed = try runs(try await h[1].sceneflowCommand(["runs", "list", "--format", "json"]))
        #expect(listed.count == 2)
        let newest = try #require(listed.first?["counts"] as? [String: Any])
        #expect(newest["made"] as? Int == 0, "\(newest)")
        #expect((newest["cached"] as? Int ?? 0) > 0)
        let oldest = try #require(listed.last?["counts"] as? [String: Any])
        #expect(oldest["cached"] as? Int == 0 && (oldest["made"] as? Int ?? 0) > 0, "\(oldest)")
        // The second host's delivery is the first host's cut, byte for byte.
        func finalVideo(_ host: Host) throws -> String {
            let folder = try #require(try FileManager.default.contentsOfDirectory(at: host.folder.appendingPathComponent("ws/runs"), includingPropertiesForKeys: nil).first)
            return try Digest.sha256(fileAt: folder.appendingPathComponent("final.mp4"))
        }
        #expect(try finalVideo(h[0]) == finalVideo(h[1]))
    }

    /// An object store that throttles while a run shares its outputs: the run waits, retries,
    /// says so in its events, and every output is shared once it passes.
    @Test(.tags(.ffmpeg)) func anObjectStoreThrottlingDuringARunIsWaitedForAndTold() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let proxy = try await FlakyProxy(upstream: services.s3Endpoint)
        var host = try hosts(1, services: services, database: database)[0]
        host.environment["SCENEFLOW_S3_ENDPOINT"] = proxy.endpoint
        #expect(try await host.sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        try proxy.fail(4, status: 503, method: "PUT")
        let template = packageRoot.appendingPathComponent("samples/unboxing.json").path
        let run = try await host.sceneflowCommand(["run", template, "--product", "grinder", "--offline", "--json"], timeout: 240)
        #expect(run.status == 0, "\(run.stderr)")
        let waits = run.stderr.split(separator: "\n").filter { $0.contains("warning") && $0.contains("HTTP 503 SlowDown") }
        #expect(waits.count == 4, "each wait is told: \(run.stderr.suffix(2000))")
        #expect(try proxy.stats().failed == 4)
        #expect(!run.stdout.contains(services.secretAccessKey) && !run.stderr.contains(services.secretAccessKey))
        // Every output went in after all: a second host reuses the whole run.
        var second = try hosts(1, services: services, database: database)[0]
        second.environment = host.environment
        let again = try await second.sceneflowCommand(["run", template, "--product", "grinder", "--offline"], timeout: 240)
        #expect(again.status == 0)
        let listed = try runs(try await second.sceneflowCommand(["runs", "list", "--format", "json"]))
        #expect((listed.first?["counts"] as? [String: Any])?["made"] as? Int == 0)
    }

    /// A shared cache entry whose output went missing is made again by the next host that needs
    /// it and put right, so the host after that reuses it (it does not stay broken for everyone).
    @Test(.tags(.ffmpeg)) func aDamagedSharedEntryIsRepairedByTheNextHostThatMakesIt() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let location = services.freshLocation()
        let h = try hosts(3, services: services, database: database, objects: "s3://\(location.bucket)/\(location.prefix)")
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        let template = packageRoot.appendingPathComponent("samples/unboxing.json").path
        #expect(try await h[0].sceneflowCommand(["run", template, "--product", "grinder", "--offline"], timeout: 240).status == 0)
        let first = try RunReport.read(from: try #require(try FileManager.default.contentsOfDirectory(at: h[0].folder.appendingPathComponent("ws/runs"), includingPropertiesForKeys: nil).first).appendingPathComponent("run.json"))
        let node = try #require(first.node("hook.first_frame"))
        let objects = S3BlobStore(location: location, folder: "objects/", localCache: try temporaryDirectory())
        let output = "\(try #require(node.cacheKey)).\(try #require(node.sha256)).png"
        #expect(try objects.contains(output))
        try objects.remove(output)

        let second = try await h[1].sceneflowCommand(["run", template, "--product", "grinder", "--offline", "--json"], timeout: 240)
        #expect(second.status == 0, "\(second.stderr)")
        let third = try await h[2].sceneflowCommand(["run", template, "--product", "grinder", "--offline"], timeout: 240)
        #expect(third.status == 0)
        let listed = try runs(try await h[2].sceneflowCommand(["runs", "list", "--format", "json"]))
        let counts = listed.compactMap { $0["counts"] as? [String: Any] }.map { $0["made"] as? Int ?? -1 }
        #expect(counts.count == 3)
        #expect(counts[0] == 0, "the third host reused everything: \(counts)")
        #expect(counts[1] >= 1, "the second host made the damaged entry again: \(counts)")
    }

    /// Bytes in a shared folder changed behind SceneFlow's back are refused when read, and adding
    /// the file again repairs them.
    @Test func aSharedFolderIsVerifiedAndRepairedByAddingAgain() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let shared = try temporaryDirectory()
        let h = try hosts(2, services: services, database: database, objects: "file://\(shared.path)")
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        let sha = Digest.sha256(try Data(contentsOf: productImage))
        let stored = shared.appendingPathComponent("assets/\(sha.prefix(2))/\(sha).png")
        chmod(stored.path, 0o644)
        try Data(contentsOf: logoImage).write(to: stored)
        let template = packageRoot.appendingPathComponent("samples/unboxing.json").path
        let refused = try await h[1].sceneflowCommand(["run", template, "--product", "grinder", "--simulate", "1000"])
        #expect(refused.status == 1 && refused.stderr.contains("damaged"), "\(refused.stderr)")
        #expect(try await h[1].sceneflowCommand(["assets", "add", "--product", "other", "product_1", productImage.path]).status == 0)
        #expect(try Digest.sha256(fileAt: stored) == sha, "adding the file again put the right bytes back")
        let run = try await h[1].sceneflowCommand(["run", template, "--product", "grinder", "--simulate", "1000"])
        #expect(run.status == 0, "\(run.stderr)")
    }

    /// `sceneflow limits set local 1` holds across two hosts' runs (each allowed 2 by its own
    /// --limit): never more than one local job at once, counted in the database's slot rows; and
    /// a run killed while it holds a slot gives it back within the lease.
    @Test(.tags(.ffmpeg)) func aTeamLimitHoldsAcrossHostsAndADeadRunsSlotComesBack() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        var h = try hosts(2, services: services, database: database)
        for i in h.indices { h[i].environment["SCENEFLOW_LEASE_SECONDS"] = "2" }
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        let set = try await h[0].sceneflowCommand(["limits", "set", "local", "1"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try await h[1].sceneflowCommand(["limits", "set", "nobody", "1"]).status == 64)
        let listed = try await h[1].sceneflowCommand(["limits", "list", "--format", "json"])
        #expect(listed.stdout.contains("\"provider\" : \"local\"") && listed.stdout.contains("\"limit\" : 1"), "\(listed.stdout)")

        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        @Sendable func inUse() -> Int {
            (try? pool.query("SELECT count(*)::int FROM sceneflow_slots WHERE provider = 'local' AND job_id IS NOT NULL").first?.makeRandomAccess()[0].decode(Int.self)) ?? -1
        }
        let peak = Shared(0)
        let watching = Task { while !Task.isCancelled { let n = inUse(); peak.withLock { $0 = max($0, n) }; try? await Task.sleep(for: .milliseconds(10)) } }
        let template = packageRoot.appendingPathComponent("samples/unboxing.json").path
        let (h0, h1) = (h[0], h[1])
        async let a = h0.sceneflowCommand(["run", template, "--product", "grinder", "--offline", "--limit", "local=2"], timeout: 300)
        async let b = h1.sceneflowCommand(["run", template, "--product", "grinder", "--offline", "--limit", "local=2", "--seed", "hook.first_frame=7",
                                            "--regenerate", "hook.first_frame"], timeout: 300)
        let (first, second) = try await (a, b)
        watching.cancel()
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        #expect(peak.withLock { $0 } == 1, "one local job at a time across both hosts")
        #expect(inUse() == 0, "every slot given back")

        // A run killed (SIGKILL) while it holds the slot: the next run gets it after the lease.
        let killed = try launchSceneflow(["run", template, "--product", "grinder", "--offline", "--regenerate", "final.video"] + h[0].workspace,
                                         environment: h[0].environment)
        #expect(await waitUntil(timeout: 120) { inUse() == 1 })
        kill(killed.pid, SIGKILL)
        _ = await killed.exit()
        #expect(inUse() == 1, "the dead run's slot is still taken")
        let started = Date()
        let next = try await h[1].sceneflowCommand(["run", template, "--product", "grinder", "--offline", "--regenerate", "final.video"], timeout: 300)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(inUse() == 0)
        let status = try await h[1].sceneflowCommand(["db", "status"])
        #expect(status.stdout.contains("limits:   local 0/1 in use"), "\(status.stdout)")
    }

    /// Two hosts running the same template for the same product at once, against the loopback
    /// fal server: every fal job is submitted once (one host submits, the other follows its
    /// request through the team's journal), and the journal is empty afterwards.
    @Test(.tags(.ffmpeg)) func twoHostsRunningTheSameJobsAtOnceSubmitEachOnce() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let providers = try await FakeProviders(scenario: ["fal_work_seconds": 0.8])
        var h = try hosts(2, services: services, database: database)
        for i in h.indices { h[i].environment.merge(providers.environment) { $1 } }
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        let template = packageRoot.appendingPathComponent("samples/unboxing.json").path
        let (h0, h1) = (h[0], h[1])
        async let a = h0.sceneflowCommand(["run", template, "--product", "grinder", "--resolution", "240"], timeout: 300)
        async let b = h1.sceneflowCommand(["run", template, "--product", "grinder", "--resolution", "240"], timeout: 300)
        let (first, second) = try await (a, b)
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        let report = try RunReport.read(from: try #require(try FileManager.default.contentsOfDirectory(at: h0.folder.appendingPathComponent("ws/runs"), includingPropertiesForKeys: nil).first).appendingPathComponent("run.json"))
        let falJobs = report.nodes.filter { $0.provider == .fal }.count
        let submits = providers.requests().filter { $0.route == "fal.submit" }
        #expect(falJobs > 0)
        #expect(submits.count == falJobs, "\(submits.count) submits for \(falJobs) fal jobs across two hosts")
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        #expect(try pool.query("SELECT count(*)::int FROM sceneflow_journal").first?.makeRandomAccess()[0].decode(Int.self) == 0)

        // An intent another process recorded and never completed (it died between the request
        // and the answer): the job is reported, never submitted again blind.
        let node = try #require(report.node("hook.first_frame"))
        let key = try #require(node.cacheKey)
        try pool.query("INSERT INTO sceneflow_journal (cache_key, job_id, attempt, state, holder, provider, model, created_at, updated_at) VALUES ($1, 0, 0, 'intent', 'gone-host:1', 'fal', 'm', now() - interval '1 hour', now() - interval '1 hour')",
                       [.init(string: key)])
        let location = try #require(URLComponents(string: h0.environment["SCENEFLOW_OBJECTS"]!))
        let objects = S3BlobStore(location: S3Location(endpoint: services.s3Endpoint, bucket: location.host!, prefix: String(location.path.dropFirst()), region: "us-east-1",
                                                       accessKeyID: services.accessKeyID, secretAccessKey: services.secretAccessKey),
                                  folder: "objects/", localCache: try temporaryDirectory())
        try objects.remove("\(key).json")
        var third = try hosts(1, services: services, database: database)[0]
        third.environment = h0.environment
        let before = providers.requests().filter { $0.route == "fal.submit" }.count
        let parked = try await third.sceneflowCommand(["run", template, "--product", "grinder", "--resolution", "240", "frames"], timeout: 300)
        #expect(parked.status == 1, "\(parked.stderr)")
        #expect(parked.stderr.contains("its request id was never recorded") && parked.stderr.contains("gone-host:1"), "\(parked.stderr)")
        #expect(providers.requests().filter { $0.route == "fal.submit" }.count == before, "nothing was submitted for the parked job")
    }

    /// `runs wait` on one host follows a run of another to its end; `runs cancel` on a third
    /// cancels it there. In the embedded default, `runs cancel` signals the run's process.
    @Test func runsAreWaitedForAndCancelledFromAnyHost() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try hosts(3, services: services, database: database)
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        let template = packageRoot.appendingPathComponent("samples/testimonial.yaml").path
        let (h0, h1) = (h[0], h[1])
        let running = Task { try await h0.sceneflowCommand(["run", template, "--product", "grinder", "--asset", "brand_logo=\(logoImage.path)", "--simulate", "5"], timeout: 300) }
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        @Sendable func runID() -> String? {
            try? pool.query("SELECT run_id FROM sceneflow_runs WHERE status = 'running'").first?.makeRandomAccess()[0].decode(String.self)
        }
        #expect(await waitUntil(timeout: 60) { runID() != nil })
        let id = try #require(runID())
        let waiting = Task { try await h1.sceneflowCommand(["runs", "wait", id], timeout: 300) }
        // Other hosts follow it live: the history's copy of its report moves while it runs.
        @Sendable func progressed() -> Bool {
            let row = try? pool.query("SELECT report FROM sceneflow_runs WHERE run_id = $1 AND status = 'running'", [.init(string: id)]).first
            guard let text = try? row?.makeRandomAccess()[0].decode(String?.self), let report = try? JSONCoding.decoder.decode(RunReport.self, from: Data(text.utf8)) else { return false }
            return report.nodes.contains { $0.status == .succeeded && $0.job != nil }
        }
        #expect(await waitUntil(timeout: 60) { progressed() }, "a job's end reached the history while the run went on")
        let shown = try await h[2].sceneflowCommand(["runs", "show", id, "--format", "json"])
        #expect(shown.status == 0 && shown.stdout.contains("\"running\""), "\(shown.stdout)")
        let cancel = try await h[2].sceneflowCommand(["runs", "cancel", id])
        #expect(cancel.status == 0 && cancel.stdout.contains("asked its host to cancel it"), "\(cancel.stderr)")
        let result = try await running.value
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("cancelled from another host"))
        let waited = try await waiting.value
        #expect(waited.status == 1 && waited.stdout.contains("run \(id): cancelled"), "\(waited.stdout)\(waited.stderr)")
        let again = try await h[2].sceneflowCommand(["runs", "cancel", id])
        #expect(again.status == 1 && again.stderr.contains("has ended (cancelled)"))

        // Embedded: the same commands on one workspace, the process signalled.
        let folder = try temporaryDirectory()
        let ws = ["--workspace", folder.appendingPathComponent("ws").path]
        let local = Task { try await sceneflow(["run", template, "--asset", "product_1=\(productImage.path)", "--asset", "brand_logo=\(logoImage.path)", "--simulate", "5"] + ws, timeout: 300) }
        @Sendable func localRun() -> String? {
            guard let folders = try? FileManager.default.contentsOfDirectory(at: folder.appendingPathComponent("ws/runs"), includingPropertiesForKeys: nil) else { return nil }
            return folders.compactMap { try? RunReport.read(from: $0.appendingPathComponent("run.json")) }.first { $0.status == .running }?.runID
        }
        #expect(await waitUntil(timeout: 60) { localRun() != nil })
        let localID = try #require(localRun())
        let signalled = try await sceneflow(["runs", "cancel", localID] + ws)
        #expect(signalled.status == 0 && signalled.stdout.contains("asked process"), "\(signalled.stderr)")
        #expect(try await local.value.status == 143)
        let waitedHere = try await sceneflow(["runs", "wait", localID] + ws)
        #expect(waitedHere.status == 1 && waitedHere.stdout.contains("cancelled"))
    }

    /// The same flow with bytes in a folder every host mounts.
    @Test func aSharedFolderServesEveryHost() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let shared = try temporaryDirectory()
        let h = try hosts(2, services: services, database: database, objects: "file://\(shared.path)")
        #expect(try await h[0].sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)
        let stored = try #require(FileManager.default.enumerator(atPath: shared.path)?.allObjects.compactMap { $0 as? String }.first { $0.hasSuffix(".png") })
        #expect(stored.hasPrefix("assets/"))
        let listed = try await h[1].sceneflowCommand(["assets", "list", "--product", "grinder"])
        #expect(listed.status == 0 && listed.stdout.contains("product.png"), "\(listed.stderr)")
        let missing = try await h[1].sceneflowCommand(["assets", "list", "--objects", "file:///no/such/shared/folder"])
        #expect(missing.status == 1 && missing.stderr.contains("the shared folder /no/such/shared/folder"), "\(missing.stderr)")
    }

    /// `db migrate` from several hosts at once: each migration runs once, all succeed, and
    /// running it again changes nothing. Commands refuse a schema that is missing or newer.
    @Test func migrationsRunOnceFromManyHostsAndEveryCommandChecksTheSchema() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase(migrated: false)
        let h = try hosts(4, services: services, database: database)
        let unmigrated = try await h[0].sceneflowCommand(["runs", "list"])
        #expect(unmigrated.status == 1 && unmigrated.stderr.contains("run `sceneflow db migrate`"), "\(unmigrated.stderr)")

        let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
            for host in h { group.addTask { try await host.sceneflowCommand(["db", "migrate"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        #expect(results.filter { $0.stdout.contains("applied migration 1") }.count == 1, "\(results.map(\.stdout))")
        let again = try await h[1].sceneflowCommand(["db", "migrate"])
        #expect(again.status == 0 && again.stdout.contains("up to date"))
        let status = try await h[2].sceneflowCommand(["db", "status", "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(summary["schema_version"] as? Int == Migrations.latest)
        #expect((summary["database"] as? String)?.contains(services.databasePassword) == false)

        // A newer SceneFlow migrated it: this one refuses rather than misreads.
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        try pool.query("INSERT INTO sceneflow_schema (version, summary) VALUES (99, 'from the future')")
        for arguments in [["runs", "list"], ["assets", "list"], ["db", "migrate"]] {
            let newer = try await h[3].sceneflowCommand(arguments)
            #expect(newer.status == 1 && newer.stderr.contains("schema version 99, newer than this SceneFlow's"), "\(arguments): \(newer.stderr)")
        }
    }

    /// Wrong settings end in seconds with exit 1 and a message that names the server, never the
    /// password or the secret key.
    @Test func badSettingsAreClearFastAndKeepSecrets() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let host = try hosts(1, services: services, database: database)[0]
        var wrongPassword = URLComponents(string: host.environment["SCENEFLOW_DATABASE_URL"]!)!
        wrongPassword.password = "not-the-password-4711"
        var down = URLComponents(string: host.environment["SCENEFLOW_DATABASE_URL"]!)!
        down.port = try unusedPort()
        var noDatabase = URLComponents(string: host.environment["SCENEFLOW_DATABASE_URL"]!)!
        noDatabase.path = "/no_such_database"
        let cases: [(String, [String: String], String)] = [
            ("wrong password", ["SCENEFLOW_DATABASE_URL": wrongPassword.string!], "refused the login of sceneflow"),
            ("server down", ["SCENEFLOW_DATABASE_URL": down.string!], "cannot connect to the database postgres://sceneflow@127.0.0.1:\(down.port!)/"),
            ("no such database", ["SCENEFLOW_DATABASE_URL": noDatabase.string!], "does not exist"),
            ("not a URL", ["SCENEFLOW_DATABASE_URL": "mysql://root:hunter22@db/x"], "expected postgres://"),
            ("no objects", ["SCENEFLOW_OBJECTS": ""], "SCENEFLOW_OBJECTS"),
            ("no bucket", ["SCENEFLOW_OBJECTS": "s3://no-such-bucket-here/x"], "the bucket no-such-bucket-here does not exist"),
            ("no credentials", ["AWS_SECRET_ACCESS_KEY": ""], "needs credentials"),
            ("keys in the objects URL", ["SCENEFLOW_OBJECTS": "s3://AKIAFOO:topsecretvalue99@bucket/x"], "names no usable bucket"),
            ("a prefix that climbs out", ["SCENEFLOW_OBJECTS": "s3://\(services.bucket)/../other/p"], "\"..\" folder in its prefix"),
            ("a password in sslmode", ["SCENEFLOW_DATABASE_URL": host.environment["SCENEFLOW_DATABASE_URL"]!.replacingOccurrences(of: "sslmode=disable", with: "sslmode=hunter22")], "sslmode is not one of"),
        ]
        for (label, change, expected) in cases {
            var environment = host.environment
            environment.merge(change) { $1 }
            let started = Date()
            let result = try await sceneflow(["assets", "list"] + host.workspace, in: host.folder, environment: environment, timeout: 60)
            #expect(result.status == 1, "\(label): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(label): \(result.stderr)")
            // Seconds, not a hang (the connect timeout is 5 s; a loaded CI machine starts processes slowly).
            #expect(Date().timeIntervalSince(started) < 30, "\(label) took too long")
            for secret in [services.databasePassword, "not-the-password-4711", "hunter22", services.secretAccessKey, "topsecretvalue99"] {
                #expect(!(result.stdout + result.stderr).contains(secret), "\(label) printed a secret")
            }
        }
    }

    /// PostgreSQL restarting while a run works: the run waits to record its end, says so in
    /// its events, loses nothing, and the history has it. (A private pair of servers: the
    /// shared ones keep serving the other tests.)
    @Test func aDatabaseRestartDuringARunLosesNothing() async throws {
        _ = try TeamServices.required()
        let folder = try temporaryDirectory().appendingPathComponent("services")
        let script = packageRoot.appendingPathComponent("scripts/team-services")
        let started = try await run(script, ["start", folder.path], timeout: 120)
        #expect(started.status == 0, "\(started.stderr)")
        defer { _ = Task { try? await run(script, ["stop", folder.path], timeout: 60) } }
        var own = try TeamServices.required()
        let env = try String(contentsOf: folder.appendingPathComponent("env"), encoding: .utf8)
        func value(_ name: String) -> String? {
            env.split(separator: "\n").first { $0.hasPrefix("export \(name)=") }.map { String($0.dropFirst("export \(name)=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }
        }
        own.databaseURL = try #require(value("SCENEFLOW_TEST_DATABASE_URL"))
        own.s3Endpoint = try #require(value("SCENEFLOW_TEST_S3_ENDPOINT"))
        own.accessKeyID = try #require(value("SCENEFLOW_TEST_AWS_ACCESS_KEY_ID"))
        own.secretAccessKey = try #require(value("SCENEFLOW_TEST_AWS_SECRET_ACCESS_KEY"))
        own.servicesFolder = folder.path
        let database = try own.freshDatabase()
        let host = try hosts(1, services: own, database: database)[0]
        #expect(try await host.sceneflowCommand(["assets", "add", "--product", "grinder", "product_1", productImage.path]).status == 0)

        let template = packageRoot.appendingPathComponent("samples/unboxing.json").path
        let running = Task { try await host.sceneflowCommand(["run", template, "--product", "grinder", "--simulate", "40", "--json"], timeout: 180) }
        let runsFolder = host.folder.appendingPathComponent("ws/runs")
        @Sendable func report() -> RunReport? {
            guard let folder = try? FileManager.default.contentsOfDirectory(at: runsFolder, includingPropertiesForKeys: nil).first else { return nil }
            return try? RunReport.read(from: folder.appendingPathComponent("run.json"))
        }
        #expect(await waitUntil(timeout: 60) { report()?.status == .running })
        try await own.postgres("pg-stop")
        // The jobs finish while the database is down; then the run waits to record its end.
        #expect(await waitUntil(timeout: 120) { report()?.status.isFinished == true })
        try await Task.sleep(for: .seconds(2))
        try await own.postgres("pg-start")
        let result = try await running.value
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("waiting to record the run's end"), "the wait is an event")
        #expect(!result.stdout.contains(own.databasePassword) && !result.stderr.contains(own.databasePassword))
        let listed = try runs(try await host.sceneflowCommand(["runs", "list", "--format", "json"]))
        #expect(listed.first?["status"] as? String == "succeeded")
        #expect(listed.first?["run_id"] as? String == report()?.runID)
    }
}
