import Foundation

/// A PostgreSQL address, `postgres://user:password@host:port/database?sslmode=…`, parsed once.
///
/// Its `description` never carries the password: it is what every message, log line and page
/// shows (`postgres://sceneflow@db.internal:5432/ads`).
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Parses `text`; a mistake is named without repeating the password.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw DatabaseURLError("the database URL is not a URL; expected postgres://user:password@host:port/database")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError("the database URL starts with \"\(scheme)://\"; expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseURLError("the database URL names no host; expected postgres://user:password@host:port/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseURLError("the database URL names no user; expected postgres://user:password@\(host)/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw DatabaseURLError("the database URL names no database; expected postgres://\(user)@\(host)/database")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw DatabaseURLError("the database URL's sslmode is not one of disable, prefer, require, verify-ca, verify-full")
                }
            default:
                throw DatabaseURLError("the database URL has an option other than sslmode (the only one read)")
            }
        }
        // An IPv6 literal is written in brackets; the address is what is inside them.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw DatabaseURLError("the database URL's port \(port) is not a TCP port (1 to 65535)") }
        self.user = components.percentEncodedUser?.removingPercentEncoding ?? user
        password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }

    /// The URL without its password: safe to print.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)"
    }
}

/// A database URL that cannot be used, said without its password.
public struct DatabaseURLError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
