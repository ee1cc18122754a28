import CZlib
import SceneFlowTemplate

/// Decodes a PNG's image data in process, the way a decoder does before it draws a pixel:
/// the IDAT chunks inflated as one zlib stream (zlib, as every PNG decoder does), which must
/// end properly and hold every row of the image (all seven passes of an interlaced one), each
/// row starting with a known filter type. A PNG whose chunks and CRCs are valid but whose data
/// does not inflate, or inflates short, fails here — what `ImageCheck`'s structural look cannot
/// see — in microseconds instead of an ffmpeg process. Memory stays at two small buffers
/// whatever the image's size: rows are counted, not kept.
enum PNGPixels {
    /// Why the PNG in `bytes` (already through `ImageCheck`) cannot be decoded, or nil.
    static func problem(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 33 else { return "it is too short to hold a header" }
        func be32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        // IHDR is the first chunk (ImageCheck made sure): width, height, depth, colour type, interlace.
        let width = be32(16), height = be32(20)
        let depth = Int(bytes[24]), colour = Int(bytes[25]), interlace = Int(bytes[28])
        let channels: Int
        switch (colour, depth) {
        case (0, 1), (0, 2), (0, 4), (0, 8), (0, 16): channels = 1
        case (2, 8), (2, 16): channels = 3
        case (3, 1), (3, 2), (3, 4), (3, 8): channels = 1
        case (4, 8), (4, 16): channels = 2
        case (6, 8), (6, 16): channels = 4
        default: return "its colour type \(colour) with \(depth)-bit samples is not a PNG pixel format"
        }
        guard bytes[26] == 0, bytes[27] == 0, interlace <= 1 else { return "its header names an unknown compression, filter or interlace method" }
        guard width > 0, height > 0 else { return "it has no pixels (\(width)×\(height))" }
        let bitsPerPixel = channels * depth

        // The rows the data must hold: (bytes per row without its filter byte, rows).
        var rows: [(bytes: Int, count: Int)] = []
        if interlace == 0 {
            rows = [((width * bitsPerPixel + 7) / 8, height)]
        } else {
            for (x0, y0, dx, dy) in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] {
                let passWidth = width > x0 ? (width - x0 + dx - 1) / dx : 0
                let passHeight = height > y0 ? (height - y0 + dy - 1) / dy : 0
                if passWidth > 0, passHeight > 0 { rows.append(((passWidth * bitsPerPixel + 7) / 8, passHeight)) }
            }
        }
        var walker = RowWalker(rows: rows)

        var stream = z_stream()
        guard sceneflow_inflate_init(&stream) == Z_OK else { return "zlib could not start" }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 8
        var ended = false
        while offset + 12 <= bytes.count, !ended {
            let length = be32(offset)
            guard length <= bytes.count - offset - 12 else { return "it ends inside a chunk (truncated?)" }
            let type = bytes[offset + 4..<offset + 8]
            defer { offset += 12 + length }
            if type.elementsEqual("IEND".utf8) { break }
            guard type.elementsEqual("IDAT".utf8), length > 0 else { continue }
            var status = Z_OK
            var inputDone = false
            bytes.withUnsafeBufferPointer { all in
                stream.next_in = UnsafeMutablePointer(mutating: all.baseAddress! + offset + 8)
                stream.avail_in = uInt(length)
                while !inputDone {
                    output.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        let made = out.count - Int(stream.avail_out)
                        if !walker.consume(out[0..<made]) { status = Z_DATA_ERROR }
                    }
                    if status == Z_BUF_ERROR { status = Z_OK; inputDone = true }  // needs the next chunk
                    else if status == Z_STREAM_END { ended = true; inputDone = true }
                    else if status != Z_OK { inputDone = true }
                    else if stream.avail_in == 0, stream.avail_out != 0 { inputDone = true }
                }
            }
            if status != Z_OK, status != Z_STREAM_END {
                if let bad = walker.badFilter { return "row \(bad.row + 1) has filter type \(bad.type), which PNG does not have" }
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                return "its image data does not inflate (\(message)) after \(walker.done) of \(walker.total) rows"
            }
        }
        guard ended else { return "its image data ends early: \(walker.done) of \(walker.total) rows are there (truncated?)" }
        guard walker.isComplete else { return "its image data holds \(walker.done) of \(walker.total) rows" }
        return nil
    }

    /// Counts decompressed bytes into rows, checking each row's leading filter type (0 to 4).
    struct RowWalker {
        var rows: [(bytes: Int, count: Int)]
        var pass = 0
        var rowInPass = 0
        /// Bytes of the current row still to come (its filter byte included).
        var left: Int
        var done = 0
        let total: Int
        var badFilter: (row: Int, type: UInt8)?

        init(rows: [(bytes: Int, count: Int)]) {
            self.rows = rows
            left = rows.first.map { $0.bytes + 1 } ?? 0
            total = rows.reduce(0) { $0 + $1.count }
        }

        var isComplete: Bool { done == total }

        /// Takes the next decompressed bytes; false at a row with an unknown filter type.
        /// Bytes past the last row are ignored, as decoders ignore them.
        mutating func consume(_ chunk: Slice<UnsafeMutableBufferPointer<UInt8>>) -> Bool {
            var i = chunk.startIndex
            while i < chunk.endIndex, !isComplete {
                let row = rows[pass]
                if left == row.bytes + 1 {
                    // A row's first byte: its filter type.
                    guard chunk[i] <= 4 else { badFilter = (done, chunk[i]); return false }
                }
                let step = min(left, chunk.endIndex - i)
                left -= step
                i += step
                if left == 0 {
                    done += 1
                    rowInPass += 1
                    if rowInPass == row.count { pass += 1; rowInPass = 0 }
                    if pass < rows.count { left = rows[pass].bytes + 1 }
                }
            }
            return true
        }
    }
}
