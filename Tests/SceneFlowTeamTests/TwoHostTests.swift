import Foundation
@testable import SceneFlowBasics
import SceneFlowProcess
@testable import SceneFlowRun
@testable import SceneFlowTeam
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// Two "hosts" as the issue asks: workers in two network namespaces (`ip netns`, a veth pair
/// each), reaching PostgreSQL and the S3 server only over their veth addresses (through a TCP
/// relay on this side: the servers listen on loopback). Then one host's link is cut mid-run: a
/// real partition, its run taken over by the other host. Needs root and iproute2 (CI has both).
/// Network namespaces need root, iproute2 and the right to make them (a container may lack
/// it): probed once by making and removing one.
let canMakeNamespaces: Bool = {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return false }
    func ip(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
    let probe = "sfprobe\(getpid())"
    defer { _ = ip(["netns", "del", probe]) }
    return ip(["netns", "add", probe])
}()

@Suite(.tags(.endToEnd, .ffmpeg), .timeLimit(.minutes(5)), .enabled(if: canMakeNamespaces, "network namespaces need root and iproute2")) struct TwoHostTests {

    /// A network namespace with a veth pair to this side: `10.S.N.1` here, `10.S.N.2` there.
    struct Namespace {
        var name: String
        var link: String
        var here: String
        var there: String

        /// `subnet` sets this test's addresses apart (`10.SUBNET.INDEX+1.0/30`): links another
        /// test left behind never share a route with these.
        static func make(_ index: Int, tag: String, subnet: Int) async throws -> Namespace {
            let n = Namespace(name: "sf\(tag)\(index)", link: "sfh\(tag)\(index)", here: "10.\(subnet).\(index + 1).1", there: "10.\(subnet).\(index + 1).2")
            for command in [["netns", "add", n.name],
                            ["link", "add", n.link, "type", "veth", "peer", "name", "sfn\(tag)\(index)"],
                            ["link", "set", "sfn\(tag)\(index)", "netns", n.name],
                            ["addr", "add", "\(n.here)/30", "dev", n.link], ["link", "set", n.link, "up"],
                            ["netns", "exec", n.name, "ip", "addr", "add", "\(n.there)/30", "dev", "sfn\(tag)\(index)"],
                            ["netns", "exec", n.name, "ip", "link", "set", "sfn\(tag)\(index)", "up"],
                            ["netns", "exec", n.name, "ip", "link", "set", "lo", "up"]] {
                let result = try await run("/usr/sbin/ip", command, timeout: 20)
                guard result.status == 0 else { throw TestSupportError("ip \(command.joined(separator: " ")): \(result.stderr)") }
            }
            return n
        }

        /// Cuts (or restores) the link: packets stop both ways, sockets are left hanging.
        func link(up: Bool) async throws {
            _ = try await run("/usr/sbin/ip", ["link", "set", link, up ? "up" : "down"], timeout: 20)
        }

        func remove() async {
            _ = try? await run("/usr/sbin/ip", ["netns", "del", name], timeout: 20)
            _ = try? await run("/usr/sbin/ip", ["link", "del", link], timeout: 20)
        }
    }

    @Test func workersInTwoNetworkNamespacesDrainABatchAndACutOffHostsRunIsTakenOver() async throws {
        let services = try TeamServices.required()
        let database = try services.freshDatabase()
        let h = try services.hosts(3, database: database)
        let tag = String(UUID().uuidString.prefix(4)).lowercased()
        var namespaces: [Namespace] = []
        defer {
            let made = namespaces
            Task { for n in made { await n.remove() } }
        }
        let subnet = Int.random(in: 100...250)
        for i in 0..<2 { namespaces.append(try await Namespace.make(i, tag: tag, subnet: subnet)) }

        // The servers listen on loopback: a relay here forwards the veth side to them.
        let admin = try #require(URLComponents(string: services.databaseURL))
        let s3 = try #require(URLComponents(string: services.s3Endpoint))
        let portFile = try temporaryDirectory().appendingPathComponent("ports")
        let relay = try ChildProcess.launch(Command(Command.find("python3")!, arguments: [fixtures.appendingPathComponent("tcp_relay.py").path, "0.0.0.0", portFile.path,
                                                                                           "127.0.0.1:\(admin.port!)", "\(s3.host!):\(s3.port!)"],
                                                    stdout: .discard, stderr: .capture(limit: 1 << 14, keep: .tail)))
        defer { relay.terminate() }
        #expect(await waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: portFile.path) })
        let ports = try String(contentsOf: portFile, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        try #require(ports.count == 2)

        /// A worker on host `i` (in namespace `i`), seeing the servers only at its veth peer.
        func worker(_ i: Int) throws -> ChildProcess {
            var environment = ProcessInfo.processInfo.environment
            environment.merge(h[i + 1].environment) { $1 }
            var url = URLComponents(string: environment["SCENEFLOW_DATABASE_URL"]!)!
            url.host = namespaces[i].here
            url.port = ports[0]
            environment["SCENEFLOW_DATABASE_URL"] = url.string!
            environment["SCENEFLOW_S3_ENDPOINT"] = "http://\(namespaces[i].here):\(ports[1])"
            environment["SCENEFLOW_LEASE_SECONDS"] = "4"
            environment["SCENEFLOW_DATABASE_TIMEOUT"] = "3"
            return try ChildProcess.launch(Command(URL(fileURLWithPath: "/usr/sbin/ip"),
                                                   arguments: ["netns", "exec", namespaces[i].name, sceneflowBinary.path, "worker", "--concurrency", "1"] + h[i + 1].workspace,
                                                   environment: environment, workingDirectory: h[i + 1].folder, stdout: .discard,
                                                   stderr: .capture(limit: 1 << 16, keep: .tail)))
        }
        let hostNames = (1...2).map { h[$0].environment["SCENEFLOW_HOST_NAME"]! }
        let pool = try PostgresPool(url: database)
        defer { pool.shutdown() }
        @Sendable func madeBy(_ id: String) -> String? {
            try? pool.query("SELECT host FROM sceneflow_runs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess()[0].decode(String?.self)
        }

        // A batch queued here, drained by the two hosts over their links.
        let csv = h[0].folder.appendingPathComponent("batch.csv")
        try "product_id,product_1\none,\(productImage.path)\ntwo,\(logoImage.path)\nthree,\(productImage.path)\nfour,\(logoImage.path)\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        let queued = try await h[0].sceneflowCommand(["batch", packageRoot.appendingPathComponent("samples/unboxing.json").path, "--products", csv.path,
                                                       "--offline", "--resolution", "160", "--detach"])
        #expect(queued.status == 0, "\(queued.stderr)")
        let ids = queued.stdout.split(separator: "\n").map(String.init)
        var workers = [try worker(0), try worker(1)]
        for id in ids {
            let waited = try await h[0].sceneflowCommand(["runs", "wait", id, "--timeout", "150"], timeout: 180)
            if waited.status != 0 {
                for process in workers { process.send(SIGKILL) }
                var logs: [String] = []
                for process in workers { logs.append(String(decoding: await process.exit().stderr, as: UTF8.self)) }
                Issue.record("run \(id) was not made: \(waited.stdout)\(waited.stderr)\n--- host 0 ---\n\(logs[0])\n--- host 1 ---\n\(logs[1])")
                for n in namespaces { await n.remove() }
                return
            }
        }
        let makers = Set(ids.compactMap(madeBy))
        #expect(makers == Set(hostNames), "each host's worker hydrated runs over its link: \(makers)")

        // A partition: host 0's link is cut while it hydrates; host 1 takes the run over after the lease.
        workers[1].send(SIGTERM)
        _ = await workers[1].exit()
        let template = packageRoot.appendingPathComponent("samples/testimonial.yaml").path
        let one = try await h[0].sceneflowCommand(["run", template, "--asset", "product_1=\(productImage.path)", "--asset", "brand_logo=\(logoImage.path)",
                                                    "--offline", "--resolution", "200", "--detach"])
        let id = one.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let started = await waitUntil(timeout: 60, interval: 0.05) { madeBy(id) == hostNames[0] }
        #expect(started, "host 0 took the run")
        try await namespaces[0].link(up: false)
        let cutAt = Date()
        workers[1] = try worker(1)
        let waited = try await h[0].sceneflowCommand(["runs", "wait", id, "--timeout", "150"], timeout: 180)
        if waited.status != 0 {
            // Say what each worker did, then stop here.
            let jobs = (try? pool.query("SELECT state, attempt, worker, lease_until::text FROM sceneflow_jobs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess())
            let row = "\((try? jobs?[0].decode(String.self)) ?? "?") attempt \((try? jobs?[1].decode(Int.self)) ?? -1) worker \((try? jobs?[2].decode(String?.self)) ?? nil ?? "-") lease \((try? jobs?[3].decode(String?.self)) ?? nil ?? "-")"
            for process in workers { process.send(SIGKILL) }
            var logs: [String] = []
            for process in workers { logs.append(String(decoding: await process.exit().stderr, as: UTF8.self)) }
            Issue.record("the run was not taken over: job \(row)\n--- host 0 ---\n\(logs[0])\n--- host 1 ---\n\(logs[1])\n--- relay ---\n\(String(decoding: relay.outcome?.stderr ?? Data(), as: UTF8.self))")
            for n in namespaces { await n.remove() }
            return
        }
        #expect(madeBy(id) == hostNames[1], "the other host finished it")
        #expect(Date().timeIntervalSince(cutAt) < 120)
        let attempt = try pool.query("SELECT attempt FROM sceneflow_jobs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess()[0].decode(Int.self)
        #expect(attempt == 2)
        // Reconnected, the cut-off worker writes nothing over the run it lost.
        try await namespaces[0].link(up: true)
        try await Task.sleep(for: .seconds(5))
        #expect(madeBy(id) == hostNames[1])
        let status = try pool.query("SELECT status FROM sceneflow_runs WHERE run_id = $1", [.init(string: id)]).first?.makeRandomAccess()[0].decode(String.self)
        #expect(status == "succeeded")
        var logs: [String] = []
        for process in workers {
            process.send(SIGKILL)
            logs.append(String(decoding: await process.exit().stderr, as: UTF8.self))
        }
        // The cut-off worker learnt it had lost the run, and said so.
        #expect(logs[0].contains("lease lost") || logs[0].contains("taken over by another worker"), "\(logs[0])")
        for n in namespaces { await n.remove() }
    }
}
