import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowStore
@testable import SceneFlowTeam
import SceneFlowProcess
import SceneFlowTestSupport

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let productImage = packageRoot.appendingPathComponent("samples/products/grinder/product.png")
let logoImage = packageRoot.appendingPathComponent("samples/products/grinder/logo.png")
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The PostgreSQL and S3-compatible servers `scripts/team-services` started for this test run
/// (scripts/test starts them; `SCENEFLOW_TEST_*` name them). A test that needs them and finds
/// none fails and says how to start them: team mode is never silently left untested.
struct TeamServices {
    var databaseURL: String
    var s3Endpoint: String
    var bucket: String
    var accessKeyID: String
    var secretAccessKey: String
    var servicesFolder: String

    static func required() throws -> TeamServices {
        let env = ProcessInfo.processInfo.environment
        guard let database = env["SCENEFLOW_TEST_DATABASE_URL"], let endpoint = env["SCENEFLOW_TEST_S3_ENDPOINT"],
              let bucket = env["SCENEFLOW_TEST_S3_BUCKET"], let key = env["SCENEFLOW_TEST_AWS_ACCESS_KEY_ID"],
              let secret = env["SCENEFLOW_TEST_AWS_SECRET_ACCESS_KEY"], let folder = env["SCENEFLOW_TEST_SERVICES"] else {
            throw TestSupportError("team mode's servers are not running: start them with `scripts/team-services start DIR` and `. DIR/env` (scripts/test does)")
        }
        return TeamServices(databaseURL: database, s3Endpoint: endpoint, bucket: bucket, accessKeyID: key, secretAccessKey: secret, servicesFolder: folder)
    }

    /// The database password, to check that nothing prints it.
    var databasePassword: String { URLComponents(string: databaseURL)?.password ?? "?" }

    /// A new, empty database of its own for one test (`CREATE DATABASE`), migrated unless told not to.
    func freshDatabase(migrated: Bool = true) throws -> DatabaseURL {
        let admin = try PostgresPool(url: try DatabaseURL(databaseURL))
        defer { admin.shutdown() }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try admin.query("CREATE DATABASE \(name)")
        var url = try DatabaseURL(databaseURL)
        url.database = String(name)
        if migrated {
            let pool = try PostgresPool(url: url)
            defer { pool.shutdown() }
            try Migrations.migrate(pool)
        }
        return url
    }

    /// The database URL as a user writes it (password and all), for a database of `url`.
    func urlText(_ url: DatabaseURL) -> String {
        var components = URLComponents(string: databaseURL)!
        components.path = "/" + url.database
        return components.string!
    }

    /// A place in the bucket no other test uses.
    func freshLocation(endpoint: String? = nil) -> S3Location {
        S3Location(endpoint: endpoint ?? s3Endpoint, bucket: bucket, prefix: "test-\(UUID().uuidString.prefix(8))", region: "us-east-1",
                   accessKeyID: accessKeyID, secretAccessKey: secretAccessKey)
    }

    /// The variables that put a `sceneflow` process in team mode against these servers.
    func environment(database: DatabaseURL, objects: String) -> [String: String] {
        ["SCENEFLOW_DATABASE_URL": urlText(database), "SCENEFLOW_OBJECTS": objects, "SCENEFLOW_S3_ENDPOINT": s3Endpoint,
         "AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_REGION": "us-east-1"]
    }

    /// Stops or starts the PostgreSQL server (`scripts/team-services pg-stop|pg-start`).
    func postgres(_ action: String) async throws {
        let result = try await run(packageRoot.appendingPathComponent("scripts/team-services"), [action, servicesFolder], timeout: 60)
        guard result.status == 0 else { throw TestSupportError("team-services \(action) failed: \(result.stderr)") }
    }
}

/// Where a store keeps its state, for tests that hold every backend to one contract.
enum Backend: String, CaseIterable, CustomStringConvertible, Sendable {
    /// The embedded default: the workspace's SQLite database and folder.
    case sqlite
    /// PostgreSQL with bytes in the S3-compatible server.
    case postgresS3
    /// PostgreSQL with bytes in a shared folder.
    case postgresFolder

    var description: String { rawValue }
}

/// One store, and a second one for "another host" on the same shared state (its own
/// workspace: nothing on disk is shared but what the backend shares).
struct StoreUnderTest {
    var store: any Store
    var otherHost: () throws -> any Store
    /// Whether the shared state still has an asset's bytes.
    var hasBytes: (StoredAsset) throws -> Bool
    var cleanup: () -> Void

    static func make(_ backend: Backend) throws -> StoreUnderTest {
        let root = try temporaryDirectory()
        let workspace = Workspace(root: root.appendingPathComponent("ws"))
        switch backend {
        case .sqlite:
            let db = try WorkspaceDatabase(workspace: workspace)
            return StoreUnderTest(store: db, otherHost: { try WorkspaceDatabase(workspace: workspace) },
                                  hasBytes: { FileManager.default.fileExists(atPath: db.file(of: $0).path) },
                                  cleanup: { try? FileManager.default.removeItem(at: root) })
        case .postgresS3, .postgresFolder:
            let services = try TeamServices.required()
            let url = try services.freshDatabase()
            let objects: TeamConfiguration.Objects
            if backend == .postgresS3 {
                objects = .s3(services.freshLocation())
            } else {
                let shared = root.appendingPathComponent("shared")
                try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
                objects = .folder(shared)
            }
            let team = TeamConfiguration(database: url, objects: objects)
            let store = try team.openStore(workspace: workspace, create: true)
            var n = 0
            let pg = store as! PostgresStore
            return StoreUnderTest(
                store: store,
                otherHost: {
                    n += 1
                    return try team.openStore(workspace: Workspace(root: root.appendingPathComponent("host\(n)")), create: true)
                },
                hasBytes: { try pg.blobs.contains("\($0.sha256).\($0.mediaType)") },
                cleanup: { pg.pool.shutdown(); try? FileManager.default.removeItem(at: root) })
        }
    }
}

/// A host of a team in a test: a folder and a host name of its own (nothing shared on disk but
/// what the servers hold).
struct TeamHost: Sendable {
    var folder: URL
    var environment: [String: String]
    var workspace: [String] { ["--workspace", folder.appendingPathComponent("ws").path] }

    func sceneflowCommand(_ arguments: [String], timeout: Double = 120) async throws -> CommandResult {
        try await sceneflow(arguments + workspace, in: folder, environment: environment, timeout: timeout)
    }

    /// A long-lived `sceneflow` on this host (a worker, a server), its standard error kept (the
    /// last 64 KB), claims leased for `lease` seconds.
    func launch(_ arguments: [String], lease: Int = 4) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(self.environment) { $1 }
        environment["SCENEFLOW_LEASE_SECONDS"] = "\(lease)"
        return try ChildProcess.launch(Command(sceneflowBinary, arguments: arguments + workspace, environment: environment,
                                               workingDirectory: folder, stdout: .discard, stderr: .capture(limit: 1 << 16, keep: .tail)))
    }
}

extension TeamServices {
    /// `count` hosts on `database` and one fresh place for bytes (`objects`, else a new S3 prefix).
    func hosts(_ count: Int, database: DatabaseURL, objects: String? = nil) throws -> [TeamHost] {
        let location = freshLocation()
        let objects = objects ?? "s3://\(location.bucket)/\(location.prefix)"
        return try (0..<count).map { i in
            var environment = self.environment(database: database, objects: objects)
            environment["SCENEFLOW_HOST_NAME"] = "host\(i)-\(UUID().uuidString.prefix(4))"
            return TeamHost(folder: try temporaryDirectory(), environment: environment)
        }
    }
}
