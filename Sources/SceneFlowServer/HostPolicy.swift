import Synchronization

/// Which `Host` values a server answers (API contract, "Additions": hosts).
///
/// Bound to loopback, a server answers `localhost`, `127.0.0.1`, `[::1]` and the address it is
/// bound to, with no port or its own port, plus the names `--allowed-host` gives: a page on
/// `evil.example` whose name is rebound to 127.0.0.1 sends `Host: evil.example` and gets 421.
/// Bound to another address, where the token guards the API, it answers every name unless
/// `--allowed-host` lists them. A missing, repeated or malformed `Host` is 400.
final class HostPolicy: Sendable {
    /// Names (lower-cased, IPv6 in brackets) with the port each must carry, if any: nil means
    /// no port or the server's own.
    private let names: [String: Int?]?
    /// The port the server is bound to (known once it listens: port 0 picks one).
    private let port = Atomic<Int>(0)

    init(boundHost: String, loopback: Bool, allowed: [String]) {
        var table: [String: Int?] = [:]
        for entry in allowed {
            guard let (name, port) = Self.split(entry.lowercased()) else { continue }
            table[name] = .some(port)
        }
        if loopback {
            let bound = boundHost.contains(":") && !boundHost.hasPrefix("[") ? "[\(boundHost)]" : boundHost
            for name in ["localhost", "127.0.0.1", "[::1]", bound.lowercased()] where table[name] == nil { table[name] = .some(nil) }
            names = table
        } else {
            names = table.isEmpty ? nil : table
        }
    }

    /// Notes the port the server listens on.
    func bound(to port: Int) { self.port.store(port, ordering: .relaxed) }

    /// Whether a request with these `Host` header values may be answered; throws the refusal
    /// otherwise. (An absolute-form target's authority is not consulted: the HTTP layer keeps
    /// only its path, and browsers never send one to a server that is not a proxy.)
    func check(_ values: [String]) throws(APIError) {
        guard values.count == 1, let value = values.first else {
            throw APIError(.badRequest, "bad_request", values.isEmpty ? "the request has no Host header" : "the request has more than one Host header")
        }
        guard let (name, port) = Self.split(value.lowercased()) else {
            throw APIError(.badRequest, "bad_request", "the Host header is malformed")
        }
        guard let names else { return }
        let own = self.port.load(ordering: .relaxed)
        switch names[name] {
        case .some(.some(let required)):
            if port == required || (port == nil && required == own) { return }
        case .some(.none):
            if port == nil || port == own { return }
        case .none:
            break
        }
        throw APIError(.misdirectedRequest, "misdirected_request",
                       "this server does not answer for the host \(name.prefix(100)); start it with --allowed-host \(name.prefix(100)) to allow it")
    }

    /// `name`, `name:port`, `[v6]` or `[v6]:port` into the name and port; nil when malformed.
    static func split(_ value: String) -> (String, Int?)? {
        guard !value.isEmpty, value.utf8.count <= 255 else { return nil }
        var name = Substring(value), portText: Substring?
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            name = value[...close]
            let rest = value[value.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
            guard name.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }), name.count > 2 else { return nil }
        } else {
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            name = parts[0]
            if parts.count == 2 { portText = parts[1] }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else { return nil }
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII), let value = Int(portText), (1...65_535).contains(value) else { return nil }
            port = value
        }
        return (String(name), port)
    }
}
