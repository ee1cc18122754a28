/// Writes JSON straight into a byte buffer, for outputs too large for `JSONEncoder` to build in
/// memory quickly (a 100,000-scene plan): linear in the output, strings escaped per RFC 8259,
/// numbers in their shortest round-trip form, money as exact decimals. The caller flushes
/// `bytes` as it grows (`takeBytes()`).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Per open container: whether it already has a member.
    private var hasMember: [Bool] = []
    private var afterKey = false

    public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    private mutating func separate() {
        if afterKey { afterKey = false; return }
        if let last = hasMember.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            hasMember[hasMember.count - 1] = true
        }
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); hasMember.append(false) }
    public mutating func endObject() { hasMember.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); hasMember.append(false) }
    public mutating func endArray() { hasMember.removeLast(); bytes.append(UInt8(ascii: "]")) }
    /// A line break between members, for readability of long lists (valid JSON whitespace).
    public mutating func newline() { bytes.append(0x0A) }

    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ value: String) { separate(); appendString(value) }
    public mutating func string(_ value: String?) { if let value { string(value) } else { null() } }
    public mutating func null() { separate(); bytes.append(contentsOf: Array("null".utf8)) }
    public mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: Array((value ? "true" : "false").utf8)) }
    public mutating func int(_ value: Int) { separate(); bytes.append(contentsOf: Array(String(value).utf8)) }

    /// A finite number, rounded to `places` decimals (non-finite numbers are written as null).
    public mutating func number(_ value: Double, places: Int = 3) {
        separate()
        guard value.isFinite else { bytes.append(contentsOf: Array("null".utf8)); return }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        let text = rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : String(rounded)
        bytes.append(contentsOf: Array(text.utf8))
    }

    /// Dollars as an exact decimal: `4038.007`, `0.0042`.
    public mutating func money(_ value: Money) {
        separate()
        bytes.append(contentsOf: Array(value.decimalText.utf8))
    }

    public mutating func takeBytes() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
