/// A request's target, read once, before the host check, the access rules or the router look
/// at it (API contract, "Additions": paths). Every later decision is made on `path`, the one
/// spelling the router matches, so no spelling of a route can reach it past its access rule.
///
/// The canonical form (RFC 3986 §6.2.2, with SceneFlow's refusals):
/// - empty segments are dropped: `//api//v1/` is `/api/v1`; a trailing `/` goes (but for `/`);
/// - percent-encoded unreserved characters are decoded (`%61pi` is `api`) and the remaining
///   escapes are written with upper-case hex digits;
/// - dot segments (`.`, `..`, in any encoding) are refused, not resolved: a browser resolves
///   them before sending, so only a hand-made request holds one;
/// - an encoded `/`, `\` or NUL inside a segment, a raw `\`, a control or non-ASCII byte, a
///   fragment, a malformed escape, or a target that is not a path (`*`, `http://...` that
///   the HTTP layer could not reduce) is refused.
struct RequestTarget: Equatable, Sendable, CustomStringConvertible {
    /// The canonical path: `/` followed by the segments, each still percent-encoded where it must be.
    var path: String
    /// The query as sent (without `?`), or nil.
    var query: String?

    /// The target as the router gets it.
    var description: String { query.map { "\(path)?\($0)" } ?? path }

    /// The longest target read (the HTTP layer refuses much longer request lines itself).
    static let maxLength = 8 << 10

    enum Problem: Error, Equatable, Sendable {
        case notAPath, tooLong, fragment, controlCharacter, backslash, badEscape, encodedSeparator, dotSegment

        var message: String {
            switch self {
            case .notAPath: return "the request target is not a path (it must start with /)"
            case .tooLong: return "the request target is longer than \(RequestTarget.maxLength) bytes"
            case .fragment: return "a request target carries no fragment (#)"
            case .controlCharacter: return "the request target holds a control character, a space or a byte that is not ASCII"
            case .backslash: return "the request target holds a backslash"
            case .badEscape: return "the request target holds a malformed percent escape"
            case .encodedSeparator: return "a path segment holds an encoded /, \\ or NUL"
            case .dotSegment: return "the path holds a . or .. segment"
            }
        }
    }

    static func parse(_ raw: String) throws(Problem) -> RequestTarget {
        let bytes = Array(raw.utf8)
        guard bytes.count <= maxLength else { throw .tooLong }
        for byte in bytes {
            if byte < 0x21 || byte >= 0x7F { throw .controlCharacter }
            if byte == UInt8(ascii: "\\") { throw .backslash }
            if byte == UInt8(ascii: "#") { throw .fragment }
        }
        let split = bytes.firstIndex(of: UInt8(ascii: "?"))
        let pathBytes = split.map { Array(bytes[..<$0]) } ?? bytes
        let query = split.map { String(decoding: bytes[($0 + 1)...], as: UTF8.self) }
        guard pathBytes.first == UInt8(ascii: "/") else { throw .notAPath }

        var segments: [String] = []
        for segment in pathBytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            let canonical = try canonicalSegment(Array(segment))
            if canonical == "." || canonical == ".." { throw .dotSegment }
            segments.append(canonical)
        }
        return RequestTarget(path: "/" + segments.joined(separator: "/"), query: query)
    }

    /// A segment with unreserved characters decoded and other escapes upper-cased; refuses
    /// escapes of separators and NUL.
    private static func canonicalSegment(_ bytes: [UInt8]) throws(Problem) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                throw .badEscape
            }
            let decoded = high << 4 | low
            switch decoded {
            case UInt8(ascii: "/"), UInt8(ascii: "\\"), 0:
                throw .encodedSeparator
            case _ where isUnreserved(decoded):
                out.append(decoded)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigit(decoded >> 4))
                out.append(hexDigit(decoded & 0xF))
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }
}
