/// A point in a file the user wrote, as a person counts it: 1-based line, 1-based column.
///
/// Columns count Unicode scalars, not bytes, so `"café": 1` points at the same column an editor
/// shows; a tab counts as one column and `\r\n` ends one line. This matches libyaml (and so Yams),
/// so JSON and YAML templates report positions the same way.
public struct SourcePosition: Hashable, Sendable, Codable, Comparable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// Where a value starts, recorded cheaply while reading and resolved to a `SourcePosition` only
/// when a diagnostic needs it.
///
/// JSON is read as bytes, so it records a byte offset (turning offsets into columns for every value
/// of a minified 30 MB file would be quadratic); Yams hands back line and column directly.
public enum SourceAnchor: Hashable, Sendable {
    case offset(Int)
    case position(line: Int32, column: Int32)
    /// A value the user did not write (a default), or one from the command line.
    case none
}

/// Turns `SourceAnchor`s into positions for one file. Built once per file, only when needed.
public struct LineTable: Sendable {
    private let bytes: [UInt8]
    /// Byte offset at which each line starts; `lineStarts[0] == 0` (or 3 after a UTF-8 BOM).
    private let lineStarts: [Int]
    /// Scalars (bytes that are not UTF-8 continuation bytes) before every `stride`-th byte, so a
    /// column on a very long line (minified JSON is one line) costs at most `stride` steps:
    /// 100,000 diagnostics on a 30 MB line resolve in linear time, not errors × file size.
    private let scalarsBefore: [Int]
    private static let stride = 1024

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        var starts: [Int] = [Self.hasBOM(bytes) ? 3 : 0]
        var scalars: [Int] = []
        scalars.reserveCapacity(bytes.count / Self.stride + 1)
        var count = 0
        var i = 0
        let n = bytes.count
        while i < n {
            if i % Self.stride == 0 { scalars.append(count) }
            let b = bytes[i]
            if b & 0xC0 != 0x80 { count += 1 }
            if b == UInt8(ascii: "\n") {
                starts.append(i + 1)
            } else if b == UInt8(ascii: "\r") {
                if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\n") {
                    i += 1
                    if i % Self.stride == 0 { scalars.append(count) }
                    count += 1
                }
                starts.append(i + 1)
            }
            i += 1
        }
        scalars.append(count)
        self.lineStarts = starts
        self.scalarsBefore = scalars
    }

    /// Scalars in `bytes[0..<offset]`: O(stride).
    private func scalars(before offset: Int) -> Int {
        let block = offset / Self.stride
        guard block < scalarsBefore.count else { return scalarsBefore.last ?? 0 }
        var count = scalarsBefore[block]
        var i = block * Self.stride
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { count += 1 }
            i += 1
        }
        return count
    }

    static func hasBOM(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// O(log lines + 1024), however long the line.
    public func position(ofOffset offset: Int) -> SourcePosition {
        let offset = max(0, min(offset, bytes.count))
        // Last line start <= offset.
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        // Columns count scalars: every byte that is not a UTF-8 continuation byte.
        return SourcePosition(line: lo + 1, column: 1 + scalars(before: offset) - scalars(before: lineStarts[lo]))
    }

    public func position(of anchor: SourceAnchor) -> SourcePosition? {
        switch anchor {
        case .offset(let o): return position(ofOffset: o)
        case .position(let line, let column): return SourcePosition(line: Int(line), column: Int(column))
        case .none: return nil
        }
    }
}
