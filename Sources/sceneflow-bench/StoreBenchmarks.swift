import Foundation
import SceneFlowBasics
import SceneFlowProcess
import SceneFlowRun
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate
import SceneFlowTestSupport

/// `sceneflow-bench store`: the store's figures on each backend, side by side: the embedded
/// SQLite database, and team mode's PostgreSQL with bytes on the S3-compatible server and on a
/// folder. Uses the servers named by `SCENEFLOW_TEST_*` (scripts/team-services), or starts a
/// pair of its own.
enum StoreBenchmarks {
    static func run(directory: URL) async throws {
        guard let services = try await BenchServices.start(in: directory) else { return }
        defer { services.stop() }
        let env = services.environment
        print(pad("backend", 26) + pad("asset add", 12) + pad("asset list", 12) + pad("products", 10) + pad("run recorded", 14)
              + pad("per job", 10) + pad("list 20", 10) + "list 10,000")
        for backend in ["sqlite", "postgres + s3", "postgres + folder"] {
            let root = directory.appendingPathComponent("store-\(backend.filter(\.isLetter))")
            let workspace = Workspace(root: root.appendingPathComponent("ws"))
            let store: any Store
            switch backend {
            case "sqlite":
                store = try WorkspaceDatabase(workspace: workspace)
            default:
                let admin = try PostgresPool(url: try DatabaseURL(env["SCENEFLOW_TEST_DATABASE_URL"]!))
                let name = "bench_\(UUID().uuidString.prefix(8).lowercased())"
                try admin.query("CREATE DATABASE \(name)")
                admin.shutdown()
                var url = try DatabaseURL(env["SCENEFLOW_TEST_DATABASE_URL"]!)
                url.database = name
                let pool = try PostgresPool(url: url)
                try Migrations.migrate(pool)
                let objects: TeamConfiguration.Objects
                if backend.hasSuffix("s3") {
                    objects = .s3(S3Location(endpoint: env["SCENEFLOW_TEST_S3_ENDPOINT"]!, bucket: env["SCENEFLOW_TEST_S3_BUCKET"]!, prefix: name,
                                             region: "us-east-1", accessKeyID: env["SCENEFLOW_TEST_AWS_ACCESS_KEY_ID"]!,
                                             secretAccessKey: env["SCENEFLOW_TEST_AWS_SECRET_ACCESS_KEY"]!))
                } else {
                    let shared = root.appendingPathComponent("shared")
                    try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
                    objects = .folder(shared)
                }
                store = try TeamConfiguration(database: url, objects: objects).openStore(workspace: workspace, create: true)
            }
            print(pad(backend, 26), terminator: "")
            try measure(store, folder: root)
        }
        print("(median ms per call; asset add: a distinct 64×64 PNG into one of 20 products; run recorded: begin + end of a 30-job run; list 10,000: the whole history)")
    }

    static func measure(_ store: any Store, folder: URL) throws {
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var adds: [Double] = []
        for i in 0..<200 {
            let file = images.appendingPathComponent("\(i).png")
            try Data(TestImages.png(width: 64, height: 64, rgb: (UInt8(i % 256), UInt8((i * 7) % 256), UInt8((i * 13) % 256)))).write(to: file)
            var failure: Error?
            adds.append(milliseconds { do { try store.addAssets(product: "p\(i % 20)", key: "product_\(i / 20 + 1)", files: [file]) } catch { failure = error } })
            if let failure { throw failure }
        }
        var lists: [Double] = [], products: [Double] = []
        for i in 0..<100 {
            lists.append(milliseconds { _ = try? store.assets(product: "p\(i % 20)") })
            products.append(milliseconds { _ = try? store.products() })
        }
        // A 30-job run's report, recorded as a run is: at its start, then at its end.
        var records: [Double] = []
        let nodes = (0..<30).map { RunReport.Node(id: "s\($0).first_frame", kind: .firstFrame, job: .firstFrame, status: .succeeded) }
        for i in 0..<10_000 {
            var report = RunReport(runID: String(format: "20261202-%06d-bench", i), template: .init(id: "t\(i % 7)", sha256: "ab", path: nil), status: .running,
                                   simulated: false, startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)), finishedAt: nil, offline: true,
                                   productID: "p\(i % 20)", finalVideo: nil, nodes: nodes)
            let runFolder = folder.appendingPathComponent("runs/\(i)")
            var failure: Error?
            let ms = milliseconds {
                do {
                    try store.begin(report, folder: runFolder)
                    report.status = .succeeded
                    report.finishedAt = report.startedAt.addingTimeInterval(30)
                    try store.record(report, folder: runFolder)
                } catch { failure = error }
            }
            if let failure { throw failure }
            if i < 1_000 { records.append(ms) }
        }
        var recent: [Double] = [], all: [Double] = []
        for _ in 0..<20 { recent.append(milliseconds { _ = try? store.runs(limit: 20, product: nil, template: nil) }) }
        var count = 0
        for _ in 0..<3 { all.append(milliseconds { count = (try? store.runs(limit: 10_000, product: nil, template: nil).count) ?? 0 }) }
        precondition(count == 10_000, "the history lists \(count) runs")
        let record = median(records)
        print(pad(String(format: "%.2f", median(adds)), 12) + pad(String(format: "%.2f", median(lists)), 12) + pad(String(format: "%.2f", median(products)), 10)
              + pad(String(format: "%.2f", record), 14) + pad(String(format: "%.3f", record / 30), 10) + pad(String(format: "%.2f", median(recent)), 10)
              + String(format: "%.0f", median(all)))
    }
}

/// The team's servers for a benchmark: the ones `SCENEFLOW_TEST_*` name, or a pair started here
/// with stock durability (`PG_FSYNC=on`) and stopped by `stop()`.
struct BenchServices {
    var environment: [String: String]
    var folder: URL?

    static func start(in directory: URL) async throws -> BenchServices? {
        let current = ProcessInfo.processInfo.environment
        guard current["SCENEFLOW_TEST_DATABASE_URL"] == nil else { return BenchServices(environment: current) }
        let folder = directory.appendingPathComponent("services")
        let started = try await SceneFlowTestSupport.run(script, ["start", folder.path], environment: ["PG_FSYNC": "on"], timeout: 300)
        guard started.status == 0 else {
            print("cannot start the servers: \(started.stderr)")
            return nil
        }
        var environment = current
        for line in try String(contentsOf: folder.appendingPathComponent("env"), encoding: .utf8).split(separator: "\n") {
            guard line.hasPrefix("export "), let eq = line.firstIndex(of: "=") else { continue }
            environment[String(line[line.index(line.startIndex, offsetBy: 7)..<eq])] = String(line[line.index(after: eq)...]).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        }
        return BenchServices(environment: environment, folder: folder)
    }

    static var script: URL { RunBenchmarks.packageRoot().appendingPathComponent("scripts/team-services") }

    /// Stops the servers this benchmark started (and waits: a child left running would be killed
    /// with this process, halfway through stopping them).
    func stop() {
        guard let folder else { return }
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            _ = try? await SceneFlowTestSupport.run(BenchServices.script, ["stop", folder.path], timeout: 60)
            done.signal()
        }
        done.wait()
    }
}
