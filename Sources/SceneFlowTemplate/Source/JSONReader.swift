/// Reads JSON (RFC 8259) into a `LocatedValue` tree, recording each value's byte offset.
///
/// Foundation's JSONDecoder forgets positions, and diagnostics must point at the user's line and
/// column, so templates are read here. The reader is strict (no comments, no trailing commas),
/// bounded in depth, and never traps on hostile input: every problem is a `SyntaxError`.
/// Time is O(n) in the file's size.
public struct JSONReader {
    public static func read(_ bytes: [UInt8]) throws(SyntaxError) -> LocatedValue {
        try UTF8Validation.check(bytes)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(SyntaxError) -> LocatedValue in
            var parser = Parser(buffer: buffer)
            return try parser.document()
        }
    }

    private struct Parser {
        let buffer: UnsafeBufferPointer<UInt8>
        var i = 0
        var depth = 0

        init(buffer: UnsafeBufferPointer<UInt8>) {
            self.buffer = buffer
            if LineTable.hasBOM(Array(buffer.prefix(3))) { i = 3 }
        }

        mutating func document() throws(SyntaxError) -> LocatedValue {
            skipWhitespace()
            guard i < buffer.count else {
                throw SyntaxError(code: .emptyFile, message: "the file is empty; a template is a JSON object", anchor: .offset(i))
            }
            let value = try parseValue()
            skipWhitespace()
            if i < buffer.count {
                throw SyntaxError(message: "unexpected \(describe(buffer[i])) after the end of the JSON value", anchor: .offset(i))
            }
            return value
        }

        mutating func skipWhitespace() {
            while i < buffer.count {
                switch buffer[i] {
                case 0x20, 0x09, 0x0A, 0x0D: i += 1
                default: return
                }
            }
        }

        func describe(_ byte: UInt8) -> String {
            switch byte {
            case 0: return "NUL byte"
            case 0x20...0x7E: return "character '\(Character(Unicode.Scalar(byte)))'"
            default: return "byte 0x\(String(byte, radix: 16, uppercase: true))"
            }
        }

        func unexpected(_ expected: String) -> SyntaxError {
            if i >= buffer.count {
                return SyntaxError(message: "unexpected end of file; expected \(expected) (is the file truncated?)", anchor: .offset(i))
            }
            return SyntaxError(message: "unexpected \(describe(buffer[i])); expected \(expected)", anchor: .offset(i))
        }

        mutating func parseValue() throws(SyntaxError) -> LocatedValue {
            guard i < buffer.count else { throw unexpected("a value") }
            let start = i
            switch buffer[i] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return LocatedValue(.string(try parseString()), anchor: .offset(start))
            case UInt8(ascii: "t"): try literal("true"); return LocatedValue(.bool(true), anchor: .offset(start))
            case UInt8(ascii: "f"): try literal("false"); return LocatedValue(.bool(false), anchor: .offset(start))
            case UInt8(ascii: "n"): try literal("null"); return LocatedValue(.null, anchor: .offset(start))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw unexpected("a value")
            }
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let start = i
            let n = word.utf8CodeUnitCount
            let ok = word.withUTF8Buffer { w in
                guard i + n <= buffer.count else { return false }
                for k in 0..<n where buffer[i + k] != w[k] { return false }
                return true
            }
            guard ok else {
                throw SyntaxError(message: "invalid literal; expected '\(word)' (JSON strings need double quotes)", anchor: .offset(start))
            }
            i += n
        }

        mutating func enter() throws(SyntaxError) {
            depth += 1
            if depth > ReaderLimits.maxDepth {
                throw SyntaxError(code: .nestingTooDeep, message: "values are nested more than \(ReaderLimits.maxDepth) levels deep", anchor: .offset(i))
            }
        }

        mutating func parseObject() throws(SyntaxError) -> LocatedValue {
            let start = i
            try enter()
            i += 1
            var members: [LocatedValue.Member] = []
            skipWhitespace()
            if i < buffer.count, buffer[i] == UInt8(ascii: "}") {
                i += 1; depth -= 1
                return LocatedValue(.object(members), anchor: .offset(start))
            }
            while true {
                skipWhitespace()
                guard i < buffer.count, buffer[i] == UInt8(ascii: "\"") else { throw unexpected("a quoted field name") }
                let keyStart = i
                let key = try parseString()
                skipWhitespace()
                guard i < buffer.count, buffer[i] == UInt8(ascii: ":") else { throw unexpected("':' after field name") }
                i += 1
                skipWhitespace()
                let value = try parseValue()
                members.append(.init(key: key, keyAnchor: .offset(keyStart), value: value))
                skipWhitespace()
                guard i < buffer.count else { throw unexpected("',' or '}'") }
                if buffer[i] == UInt8(ascii: ",") { i += 1; continue }
                if buffer[i] == UInt8(ascii: "}") { i += 1; break }
                throw unexpected("',' or '}'")
            }
            depth -= 1
            return LocatedValue(.object(members), anchor: .offset(start))
        }

        mutating func parseArray() throws(SyntaxError) -> LocatedValue {
            let start = i
            try enter()
            i += 1
            var items: [LocatedValue] = []
            skipWhitespace()
            if i < buffer.count, buffer[i] == UInt8(ascii: "]") {
                i += 1; depth -= 1
                return LocatedValue(.array(items), anchor: .offset(start))
            }
            while true {
                skipWhitespace()
                items.append(try parseValue())
                skipWhitespace()
                guard i < buffer.count else { throw unexpected("',' or ']'") }
                if buffer[i] == UInt8(ascii: ",") { i += 1; continue }
                if buffer[i] == UInt8(ascii: "]") { i += 1; break }
                throw unexpected("',' or ']'")
            }
            depth -= 1
            return LocatedValue(.array(items), anchor: .offset(start))
        }

        /// Reads a string starting at the opening quote. The input is already valid UTF-8.
        mutating func parseString() throws(SyntaxError) -> String {
            let open = i
            i += 1
            let contentStart = i
            // Fast path: no escapes.
            while i < buffer.count {
                let b = buffer[i]
                if b == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: buffer[contentStart..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                if b == UInt8(ascii: "\\") { break }
                if b < 0x20 { throw controlCharacter(b) }
                i += 1
            }
            guard i < buffer.count else {
                throw SyntaxError(message: "unterminated string (is the file truncated?)", anchor: .offset(open))
            }
            // Slow path: unescape.
            var out = Array(buffer[contentStart..<i])
            while i < buffer.count {
                let b = buffer[i]
                if b == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if b < 0x20 { throw controlCharacter(b) }
                if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
                let escapeStart = i
                i += 1
                guard i < buffer.count else { break }
                switch buffer[i] {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(at: i + 1, escapeStart: escapeStart)
                    i += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard i + 2 < buffer.count, buffer[i + 1] == UInt8(ascii: "\\"), buffer[i + 2] == UInt8(ascii: "u") else {
                            throw SyntaxError(message: "unpaired UTF-16 surrogate in \\u escape", anchor: .offset(escapeStart))
                        }
                        let low = try hex4(at: i + 3, escapeStart: escapeStart)
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw SyntaxError(message: "unpaired UTF-16 surrogate in \\u escape", anchor: .offset(escapeStart))
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw SyntaxError(message: "unpaired UTF-16 surrogate in \\u escape", anchor: .offset(escapeStart))
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar)!).utf8))
                default:
                    throw SyntaxError(message: "invalid escape sequence '\\\(Character(Unicode.Scalar(buffer[i])))'", anchor: .offset(escapeStart))
                }
                i += 1
            }
            throw SyntaxError(message: "unterminated string (is the file truncated?)", anchor: .offset(open))
        }

        func controlCharacter(_ b: UInt8) -> SyntaxError {
            let name = b == 0 ? "a NUL byte" : b == 0x0A ? "a line break" : "control character 0x\(String(b, radix: 16, uppercase: true))"
            return SyntaxError(message: "\(name) inside a string; escape it (\\n, \\u0000)", anchor: .offset(i))
        }

        func hex4(at start: Int, escapeStart: Int) throws(SyntaxError) -> UInt32 {
            guard start + 4 <= buffer.count else {
                throw SyntaxError(message: "incomplete \\u escape", anchor: .offset(escapeStart))
            }
            var v: UInt32 = 0
            for k in start..<start + 4 {
                let c = buffer[k]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw SyntaxError(message: "invalid \\u escape: expected four hex digits", anchor: .offset(escapeStart))
                }
                v = v << 4 | d
            }
            return v
        }

        mutating func parseNumber() throws(SyntaxError) -> LocatedValue {
            let start = i
            var isInteger = true
            if buffer[i] == UInt8(ascii: "-") { i += 1 }
            func digits(_ p: inout Parser) -> Int {
                let s = p.i
                while p.i < p.buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.buffer[p.i]) { p.i += 1 }
                return p.i - s
            }
            guard i < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[i]) else { throw unexpected("a digit") }
            if buffer[i] == UInt8(ascii: "0") {
                i += 1
                if i < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[i]) {
                    throw SyntaxError(message: "numbers cannot have leading zeros", anchor: .offset(start))
                }
            } else {
                _ = digits(&self)
            }
            if i < buffer.count, buffer[i] == UInt8(ascii: ".") {
                isInteger = false
                i += 1
                if digits(&self) == 0 { throw unexpected("a digit after the decimal point") }
            }
            if i < buffer.count, buffer[i] == UInt8(ascii: "e") || buffer[i] == UInt8(ascii: "E") {
                isInteger = false
                i += 1
                if i < buffer.count, buffer[i] == UInt8(ascii: "+") || buffer[i] == UInt8(ascii: "-") { i += 1 }
                if digits(&self) == 0 { throw unexpected("a digit in the exponent") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<i]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                throw SyntaxError(message: "number \(text.prefix(40)) is out of range", anchor: .offset(start))
            }
            return LocatedValue(.number(value, isInteger: isInteger), anchor: .offset(start))
        }
    }
}

/// Finds the first byte that is not valid UTF-8, so that binary garbage gets one clear error
/// instead of mojibake in later messages.
enum UTF8Validation {
    static func check(_ bytes: [UInt8]) throws(SyntaxError) {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0 { throw SyntaxError(code: .invalidEncoding, message: "the file contains a NUL byte; is it a binary file?", anchor: .offset(i)) }
                i += 1; continue
            }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; scalar = UInt32(b & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; scalar = UInt32(b & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; scalar = UInt32(b & 0x07); minimum = 0x10000
            default: throw invalid(at: i)
            }
            guard i + length <= n else { throw invalid(at: i) }
            for k in 1..<length {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { throw invalid(at: i) }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { throw invalid(at: i) }
            i += length
        }
    }

    private static func invalid(at offset: Int) -> SyntaxError {
        SyntaxError(code: .invalidEncoding, message: "the file is not valid UTF-8 text; is it a binary file?", anchor: .offset(offset))
    }
}
