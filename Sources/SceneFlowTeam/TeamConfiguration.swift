import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore

/// Where a team's shared state lives (`../docs/team.md`): PostgreSQL for rows
/// (`SCENEFLOW_DATABASE_URL` or `--database`) and a shared folder or an S3-compatible bucket for
/// bytes (`SCENEFLOW_OBJECTS` or `--objects`). Neither set: the embedded default, the workspace's
/// SQLite database and folder, exactly as before. One without the other is a mistake, said so.
public struct TeamConfiguration: Sendable {
    public enum Objects: Sendable, CustomStringConvertible {
        /// A folder every host mounts (NFS, EFS).
        case folder(URL)
        case s3(S3Location)

        public var description: String {
            switch self {
            case .folder(let url): return "file://\(url.path)"
            case .s3(let location): return location.description
            }
        }
    }

    public var database: DatabaseURL?
    public var objects: Objects?

    public var isTeam: Bool { database != nil }

    public init(database: DatabaseURL? = nil, objects: Objects? = nil) {
        self.database = database
        self.objects = objects
    }

    /// Reads the flags, else the environment. Throws a message that names what is wrong and
    /// never repeats a password or a key.
    public static func resolve(database: String?, objects: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TeamConfiguration {
        let databaseText = database ?? environment["SCENEFLOW_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let objectsText = objects ?? environment["SCENEFLOW_OBJECTS"].flatMap { $0.isEmpty ? nil : $0 }
        switch (databaseText, objectsText) {
        case (nil, nil): return TeamConfiguration()
        case (_?, nil):
            throw TeamConfigurationError("team mode needs both a database and a place for bytes: SCENEFLOW_DATABASE_URL is set, SCENEFLOW_OBJECTS (or --objects file:///shared/path or s3://bucket/prefix) is not")
        case (nil, _?):
            throw TeamConfigurationError("team mode needs both a database and a place for bytes: SCENEFLOW_OBJECTS is set, SCENEFLOW_DATABASE_URL (or --database postgres://…) is not")
        case (let d?, let o?):
            let url: DatabaseURL
            do { url = try DatabaseURL(d) } catch { throw TeamConfigurationError("\(error)") }
            return TeamConfiguration(database: url, objects: try parseObjects(o, environment: environment))
        }
    }

    static func parseObjects(_ text: String, environment: [String: String]) throws -> Objects {
        if text.hasPrefix("file://") {
            let path = String(text.dropFirst("file://".count))
            guard path.hasPrefix("/") else {
                throw TeamConfigurationError("SCENEFLOW_OBJECTS \(Redaction.redact(text)) is not an absolute folder; use file:///shared/path")
            }
            return .folder(URL(fileURLWithPath: path).standardizedFileURL)
        }
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst("s3://".count)
            let bucket = String(rest.prefix { $0 != "/" })
            let prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
            guard !bucket.isEmpty, bucket.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else {
                throw TeamConfigurationError("SCENEFLOW_OBJECTS \(Redaction.redact(text)) names no usable bucket; use s3://bucket/prefix")
            }
            // A prefix is folders: no empty, "." or ".." segment (a client would resolve those, and
            // reach outside the bucket or prefix).
            let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
            if !prefix.isEmpty, segments.dropLast(prefix.hasSuffix("/") ? 1 : 0).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                throw TeamConfigurationError("SCENEFLOW_OBJECTS \(Redaction.redact(text)) has an empty, \".\" or \"..\" folder in its prefix; use s3://bucket/folder/folder")
            }
            guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw TeamConfigurationError("s3://\(bucket) needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            let region = environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
            let endpoint = environment["SCENEFLOW_S3_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://s3.\(region).amazonaws.com"
            guard let parsed = URL(string: endpoint), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil, parsed.user == nil else {
                throw TeamConfigurationError("SCENEFLOW_S3_ENDPOINT is not an http(s) URL without credentials (like http://127.0.0.1:9000)")
            }
            return .s3(S3Location(endpoint: endpoint, bucket: bucket, prefix: prefix, region: region, accessKeyID: key,
                                  secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }))
        }
        throw TeamConfigurationError("SCENEFLOW_OBJECTS \(Redaction.redact(text)) is neither file:///shared/path nor s3://bucket/prefix")
    }

    /// A connection pool for the database (nothing is connected until it is used).
    public func pool() throws -> PostgresPool {
        guard let database else { throw TeamConfigurationError("no database is configured (SCENEFLOW_DATABASE_URL)") }
        do { return try PostgresPool(url: database) } catch { throw TeamConfigurationError("\(error)") }
    }

    /// The blob store for one kind of bytes (`assets`, `objects`), read through `workspace`.
    public func blobs(_ folder: String, workspace: Workspace, notices: @escaping @Sendable (String) -> Void = { _ in }) throws -> any BlobStore {
        switch objects {
        case .folder(let root)?:
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw TeamConfigurationError("the shared folder \(root.path) (SCENEFLOW_OBJECTS) is not there; mount it, or create it on the shared volume")
            }
            var store = FolderBlobStore(root: root.appendingPathComponent(folder))
            store.verifiesContentNames = folder == "assets" || folder == "inputs"
            return store
        case .s3(let location)?:
            let environment = ProcessInfo.processInfo.environment
            let store = S3BlobStore(location: location, folder: folder + "/", localCache: workspace.root.appendingPathComponent("team/\(folder)"),
                                    multipartThreshold: environment["SCENEFLOW_S3_MULTIPART_BYTES"].flatMap { Int64($0) } ?? (64 << 20),
                                    partSize: environment["SCENEFLOW_S3_PART_BYTES"].flatMap { Int64($0) } ?? (16 << 20),
                                    patience: environment["SCENEFLOW_OBJECTS_PATIENCE"].flatMap { Double($0) } ?? 60,
                                    notices: notices)
            do { try store.check() } catch { throw TeamConfigurationError("\(error)") }
            return store
        case nil:
            throw TeamConfigurationError("no place for bytes is configured (SCENEFLOW_OBJECTS)")
        }
    }

    /// Where outputs are shared with every host (the cache's `objects/`), in team mode.
    public func sharedObjects(workspace: Workspace, notices: @escaping @Sendable (String) -> Void = { _ in }) throws -> (any BlobStore)? {
        guard isTeam else { return nil }
        return try blobs("objects", workspace: workspace, notices: notices)
    }

    /// The store for `workspace`: the workspace's SQLite database, or in team mode PostgreSQL
    /// (its schema checked) with the shared blob store. `create` is for the embedded default:
    /// commands that only read pass false, so a mistyped `--workspace` creates nothing.
    public func openStore(workspace: Workspace, create: Bool, notices: @escaping @Sendable (String) -> Void = { _ in }) throws -> any Store {
        guard isTeam else { return try WorkspaceDatabase(workspace: workspace, create: create) }
        let blobs = try self.blobs("assets", workspace: workspace, notices: notices)
        return try PostgresStore(pool: try pool(), blobs: blobs, staging: workspace.root.appendingPathComponent("team/staging"))
    }
}

/// A team-mode setting that cannot be used, said without its secrets.
public struct TeamConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
