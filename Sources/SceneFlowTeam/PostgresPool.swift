import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import SceneFlowRun

/// A few PostgreSQL connections, used from synchronous code (the store's protocols are
/// synchronous, as SQLite's are).
///
/// Each call borrows an idle connection (or opens one), runs its statements and gives it back.
/// The connections live on an event loop thread of their own, so a caller that blocks while it
/// waits is never the thread that must answer it, whatever thread the caller is on. Messages
/// name the server by `DatabaseURL.description`: never the password, never a statement's values.
public final class PostgresPool: @unchecked Sendable {
    public let url: DatabaseURL
    /// Seconds to wait for the server to answer a connection.
    public let connectTimeout: Double
    /// Seconds a statement may take before the connection is given up (a frozen server, a
    /// network that drops packets): `SCENEFLOW_DATABASE_TIMEOUT`, default 15.
    public let queryTimeout: Double
    private let configuration: PostgresConnection.Configuration
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var nextID = 1
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let logger: Logger = {
        var logger = Logger(label: "sceneflow.postgres")
        logger.logLevel = .critical
        return logger
    }()

    public init(url: DatabaseURL, connectTimeout: Double = 5, queryTimeout: Double? = nil) throws {
        self.url = url
        self.connectTimeout = connectTimeout
        self.queryTimeout = queryTimeout ?? ProcessInfo.processInfo.environment["SCENEFLOW_DATABASE_TIMEOUT"].flatMap(Double.init).map { max(0.5, $0) } ?? 15
        let tls: PostgresConnection.Configuration.TLS
        switch url.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try Self.tlsContext())
        case .require: tls = .require(try Self.tlsContext())
        }
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user,
                                                             password: url.password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        self.configuration = configuration
    }

    private static func tlsContext() throws -> NIOSSLContext {
        do { return try NIOSSLContext(configuration: .makeClientConfiguration()) } catch {
            throw StoreError("cannot set up TLS for the database: \(error)")
        }
    }

    deinit {
        for connection in idle { Self.closeQuietly(connection) }
    }

    /// Closes the idle connections (the process is ending, or a test is done).
    public func shutdown() {
        let connections = lock.withLock { () -> [PostgresConnection] in defer { idle = [] }; return idle }
        for connection in connections { let closing: EventLoopFuture<Void> = connection.close(); _ = try? closing.block() }
    }

    /// Runs `body` on a connection of the pool. A connection that failed is not given back.
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try borrow()
        do {
            let value = try body(connection)
            giveBack(connection)
            return value
        } catch {
            // A connection that failed (the server restarted, the network broke) is not reused.
            if connection.isClosed || (error as? StoreError)?.isUnavailable == true { Self.closeQuietly(connection) } else { giveBack(connection) }
            throw error
        }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ binds: [PostgresData] = []) throws -> [PostgresRow] {
        try withConnection { try Self.run(sql, binds, on: $0, url: url) }
    }

    /// Runs `body` in one transaction (`BEGIN` … `COMMIT`; `ROLLBACK` when it throws). A
    /// deadlock or a serialization failure is tried again, up to five times.
    public func transaction<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try withConnection { connection in
                    let transaction = PostgresTransaction(connection: connection, url: url)
                    try transaction.execute("BEGIN")
                    do {
                        let value = try body(transaction)
                        try transaction.execute("COMMIT")
                        return value
                    } catch {
                        if !connection.isClosed { _ = try? transaction.execute("ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as StoreError where error.isRetryableConflict && attempt < 5 {
                attempt += 1
                Thread.sleep(forTimeInterval: Double.random(in: 0.005...0.05) * Double(attempt))
            }
        }
    }

    /// A connection of its own, for async callers that keep one (a worker, a listener); the
    /// caller closes it.
    public func connect() async throws -> PostgresConnection {
        let id = lock.withLock { () -> Int in defer { nextID += 1 }; return nextID }
        do {
            return try await PostgresConnection.connect(on: Self.group.next(), configuration: configuration, id: id, logger: logger)
        } catch {
            throw Self.describe(error, url: url, connecting: true)
        }
    }

    private func borrow() throws -> PostgresConnection {
        let reused: PostgresConnection? = lock.withLock {
            while let connection = idle.popLast() {
                if !connection.isClosed { return connection }
            }
            return nil
        }
        if let reused { return reused }
        let id = lock.withLock { () -> Int in defer { nextID += 1 }; return nextID }
        do {
            let connection = try PostgresConnection.connect(on: Self.group.next(), configuration: configuration, id: id, logger: logger).block()
            Self.timeouts.withLock { $0[ObjectIdentifier(connection)] = queryTimeout }
            return connection
        } catch {
            throw Self.describe(error, url: url, connecting: true)
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        let close: Bool = lock.withLock {
            guard idle.count < 8 else { return true }
            idle.append(connection)
            return false
        }
        if close { Self.closeQuietly(connection) }
    }

    /// Closes and waits (a second at most when the server is not answering): postgres-nio wants
    /// every connection closed before it is released.
    static func closeQuietly(_ connection: PostgresConnection, wait: Bool = true) {
        let closing: EventLoopFuture<Void> = connection.close()
        _ = try? closing.block(timeout: wait ? 5 : 1)
        timeouts.withLock { $0[ObjectIdentifier(connection)] = nil }
    }

    static func run(_ sql: String, _ binds: [PostgresData], on connection: PostgresConnection, url: DatabaseURL) throws -> [PostgresRow] {
        do { return try connection.query(sql, binds).block(timeout: timeout(of: connection)).rows } catch let error as BlockTimeout {
            // A server that stopped answering: this connection is not used again.
            closeQuietly(connection, wait: false)
            throw StoreError("the database \(url) did not answer within \(Int(error.seconds)) s; try again when it does", unavailable: true)
        } catch {
            throw describe(error, url: url, connecting: false)
        }
    }

    /// The timeout of the pool a connection belongs to (connections remember their pool's URL only).
    static func timeout(of connection: PostgresConnection) -> Double { timeouts.withLock { $0[ObjectIdentifier(connection)] } ?? 15 }
    static let timeouts = LockedTable()

    /// A PostgreSQL failure as a `StoreError`: what went wrong and with which server, never the
    /// password or the statement's values. A server that is down or went away is
    /// `isUnavailable` (worth waiting for); a deadlock or serialization failure is a conflict.
    static func describe(_ error: Error, url: DatabaseURL, connecting: Bool) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            let text = "\(error)"
            if connecting, text.contains("refused") || text.contains("connect") || error is IOError || error is ChannelError {
                return StoreError("cannot connect to the database \(url): \(Self.plain(error))", unavailable: true)
            }
            return StoreError("the database \(url) failed: \(Self.plain(error))", unavailable: connecting)
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? ""
        switch error.code {
        case .server:
            switch state {
            case "28P01", "28000":
                return StoreError("the database \(url) refused the login of \(url.user) (wrong password or user, or not allowed from this host)")
            case "3D000":
                return StoreError("the database \(url) does not exist on that server")
            case "57P01", "57P02", "57P03", "08006", "08003", "08001":
                return StoreError("the database \(url) is not available (\(message)); try again when it is back", unavailable: true)
            case "40001", "40P01":
                return StoreError("the database \(url) reported a conflict between concurrent writes (\(message))", conflict: true)
            case "42501":
                return StoreError("the database \(url) refused: \(message)")
            case "53100":
                return StoreError("cannot write to the database \(url): its disk is full")
            default:
                return StoreError("the database \(url) failed: \(message) (SQLSTATE \(state))")
            }
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            let cause = error.underlying.map { Self.plain($0) } ?? "the connection closed"
            return StoreError("\(connecting ? "cannot connect to" : "lost the connection to") the database \(url): \(cause)", unavailable: true)
        case .sslUnsupported:
            return StoreError("the database \(url) does not speak TLS; use sslmode=disable or sslmode=prefer")
        case .authMechanismRequiresPassword:
            return StoreError("the database \(url) asks for a password and the URL has none")
        case .unsupportedAuthMechanism, .saslError:
            return StoreError("the database \(url) refused the login of \(url.user)")
        default:
            return StoreError("the database \(url) failed (\(error.code))", unavailable: connecting)
        }
    }

    /// An error's words without anything that could carry a secret.
    static func plain(_ error: Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return plain(first.error) }
            return "no address to connect to"
        }
        if error is ChannelError { return "the connection failed (\(error))" }
        return Redaction.redact("\(error)")
    }
}

/// Statements on one connection inside `PostgresPool.transaction`.
public struct PostgresTransaction {
    let connection: PostgresConnection
    let url: DatabaseURL

    @discardableResult
    public func query(_ sql: String, _ binds: [PostgresData] = []) throws -> [PostgresRow] {
        try PostgresPool.run(sql, binds, on: connection, url: url)
    }

    public func execute(_ sql: String, _ binds: [PostgresData] = []) throws {
        _ = try query(sql, binds)
    }

    /// Runs a script of statements, one at a time (each ends with `;` at the end of a line;
    /// the extended protocol takes one statement per query).
    public func script(_ sql: String) throws {
        for statement in sql.components(separatedBy: ";\n") + [] {
            let text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            let trimmed = text.hasSuffix(";") ? String(text.dropLast()) : text
            if !trimmed.isEmpty { try execute(trimmed) }
        }
    }
}

extension EventLoopFuture where Value: Sendable {
    /// Waits for the future from synchronous code, for `timeout` seconds at most (then throws
    /// `BlockTimeout`). The pool's futures complete on its own event loop thread, never the caller's.
    func block(timeout: Double? = nil) throws -> Value {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<Value>()
        whenComplete { result in
            box.lock.withLock { box.result = result }
            semaphore.signal()
        }
        if let timeout {
            if semaphore.wait(timeout: .now() + timeout) == .timedOut { throw BlockTimeout(seconds: timeout) }
        } else {
            semaphore.wait()
        }
        return try box.lock.withLock { box.result! }.get()
    }
}

struct BlockTimeout: Error {
    var seconds: Double
}

/// Per-connection settings, by identity.
final class LockedTable: @unchecked Sendable {
    private let lock = NSLock()
    private var table: [ObjectIdentifier: Double] = [:]
    func withLock<T>(_ body: (inout [ObjectIdentifier: Double]) -> T) -> T { lock.withLock { body(&table) } }
}

/// A result handed from the event loop thread to a waiting thread (the semaphore orders them).
final class ResultBox<Value>: @unchecked Sendable {
    let lock = NSLock()
    var result: Result<Value, Error>?
}
