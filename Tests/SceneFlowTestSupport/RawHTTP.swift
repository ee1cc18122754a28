import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 spoken by hand over a loopback socket: the bytes a test writes are the bytes the
/// server reads (request targets, `Host` values and framing no client library would send).
public enum RawHTTP {
    /// A response as parsed from the wire; `status` 0 when none arrived.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        /// Everything read, headers included.
        public var raw: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var errorCode: String? {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["code"] as? String }
        }
    }

    /// Sends `request` to 127.0.0.1:`port` and reads until the server closes the connection,
    /// a whole response has arrived (by its `Content-Length`), or `timeout` seconds pass.
    public static func send(_ request: [UInt8], port: Int, timeout: Double = 10) -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Reply(status: 0, headers: [:], body: Data(), raw: Data()) }
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return Reply(status: 0, headers: [:], body: Data(), raw: Data()) }
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if let reply = parse(received), let length = reply.headers["content-length"].flatMap(Int.init), reply.body.count >= length { break }
        }
        return parse(received) ?? Reply(status: 0, headers: [:], body: Data(), raw: received)
    }

    /// A request from its parts: the request line, header lines and a body (CRLF added).
    public static func request(_ method: String = "GET", _ target: String, headers: [String] = ["Host: 127.0.0.1"], body: [UInt8] = []) -> [UInt8] {
        var text = "\(method) \(target) HTTP/1.1\r\n"
        for header in headers { text += header + "\r\n" }
        if !body.isEmpty { text += "Content-Length: \(body.count)\r\n" }
        text += "Connection: close\r\n\r\n"
        return Array(text.utf8) + body
    }

    /// The first response in `data`, if its head has arrived.
    static func parse(_ data: Data) -> Reply? {
        let bytes = [UInt8](data)
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) else {
            return nil
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = head.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init), body.count > length { body = body.prefix(length) }
        return Reply(status: status, headers: headers, body: body, raw: data)
    }
}
