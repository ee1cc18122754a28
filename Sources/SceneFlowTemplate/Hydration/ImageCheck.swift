import Foundation
import SceneFlowBasics

/// What an image file says about itself.
public struct ImageInfo: Sendable, Equatable {
    public var type: MediaType
    public var width: Int
    public var height: Int
    /// Bits per channel (8 or 16 for PNG; 8 for JPEG and WebP).
    public var bitDepth: Int
    /// The image's own bytes: anything after (an appended archive, a page, a phone's motion
    /// video) is not part of it, and is left out wherever SceneFlow stores the image.
    public var length: Int = 0

    /// Whether the file carries bytes after the image's end.
    public func hasTrailingData(fileSize: Int) -> Bool { length < fileSize }
}

/// Checks an image by its bytes before anything is spent on it: the type by content, the
/// dimensions from the header, and the structure that a truncated or corrupted file breaks
/// (PNG: every chunk's length and CRC, an IHDR first, image data, an IEND; JPEG: the marker
/// segments up to the frame header and an end-of-image marker after the scan; WebP: the RIFF
/// size against the file and the VP8/VP8L/VP8X header). Pixels are not decoded; a file that
/// passes is one a decoder can start on, with a size it can hold.
public enum ImageCheck {
    /// Images above any of these are refused, naming the limit: decoding them costs gigabytes
    /// and minutes (an 8192×8192 16-bit PNG: 620 MB and 56 s in ffmpeg).
    public static let maxSide = 8192
    /// Pixels, with a 16-bit image counting double.
    public static let maxPixels = 50_000_000
    public static let maxBytes = 64 << 20

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable { case unreadable, notAnImage, corrupt, tooLarge }
        public var kind: Kind
        public var reason: String
        public var description: String { reason }
    }

    /// Reads and checks the file at `path` (a regular file, at most `maxBytes`).
    public static func inspect(path: String) throws(Problem) -> ImageInfo {
        let bytes: [UInt8]
        do {
            let size = try RegularFile.size(path)
            guard size <= maxBytes else {
                throw Problem(kind: .tooLarge, reason: "it is \(ByteCount(size)); SceneFlow takes images up to \(ByteCount(maxBytes))")
            }
            bytes = try RegularFile.read(path, limit: maxBytes)
        } catch let error as InputFileError {
            throw Problem(kind: .unreadable, reason: error.reason)
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(kind: .unreadable, reason: "\(error)")
        }
        return try inspect(bytes)
    }

    public static func inspect(_ b: [UInt8]) throws(Problem) -> ImageInfo {
        guard let type = MediaType.sniff(Array(b.prefix(64))), type.isImage else {
            throw Problem(kind: .notAnImage, reason: "it is not a PNG, JPEG or WebP image (checked by content)")
        }
        let info: ImageInfo
        switch type {
        case .png: info = try png(b)
        case .jpeg: info = try jpeg(b)
        default: info = try webp(b)
        }
        guard info.width > 0, info.height > 0 else { throw Problem(kind: .corrupt, reason: "its header gives it no pixels (\(info.width)×\(info.height))") }
        let cost = info.width * info.height * (info.bitDepth > 8 ? 2 : 1)
        guard info.width <= maxSide, info.height <= maxSide, cost <= maxPixels else {
            let megapixels = String(format: "%.1f", Double(info.width * info.height) / 1e6)
            throw Problem(kind: .tooLarge, reason: "it is \(info.width)×\(info.height)\(info.bitDepth > 8 ? " at \(info.bitDepth) bits" : "") (\(megapixels) megapixels); "
                          + "SceneFlow takes images up to \(maxSide) pixels a side and \(maxPixels / 1_000_000) megapixels (16-bit images count double)")
        }
        return info
    }

    private static func corrupt(_ type: String, _ reason: String) -> Problem {
        Problem(kind: .corrupt, reason: "it is not a readable \(type): \(reason)")
    }

    private static func be32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }

    // MARK: PNG

    static func png(_ b: [UInt8]) throws(Problem) -> ImageInfo {
        var offset = 8
        var info: ImageInfo?
        var sawData = false
        while true {
            guard offset + 12 <= b.count else {
                throw corrupt("PNG", offset == b.count ? "it ends before its IEND chunk (truncated?)" : "it ends inside a chunk header (truncated?)")
            }
            let length = be32(b, offset)
            // A chunk type is four ASCII letters; anything else is shown as hex, never raw.
            let typeBytes = b[offset + 4..<offset + 8]
            let type = typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) })
                ? String(decoding: typeBytes, as: UTF8.self) : "0x" + typeBytes.map { String(format: "%02x", $0) }.joined()
            guard length <= b.count - offset - 12 else { throw corrupt("PNG", "it ends inside chunk \(type) (truncated?)") }
            let crc = CRC32.checksum(b[offset + 4..<offset + 8 + length])
            guard crc == UInt32(be32(b, offset + 8 + length)) else { throw corrupt("PNG", "chunk \(type) fails its CRC check (corrupted)") }
            if info == nil {
                guard type == "IHDR", length == 13 else { throw corrupt("PNG", "the first chunk is \(type), not IHDR") }
                info = ImageInfo(type: .png, width: be32(b, offset + 8), height: be32(b, offset + 12), bitDepth: Int(b[offset + 16]))
            }
            if type == "IDAT" { sawData = true }
            if type == "IEND" {
                guard sawData, var found = info else { throw corrupt("PNG", "it has no image data (IDAT)") }
                found.length = offset + 12 + length
                return found
            }
            offset += 12 + length
        }
    }

    // MARK: JPEG

    static func jpeg(_ b: [UInt8]) throws(Problem) -> ImageInfo {
        var offset = 2
        var info: ImageInfo?
        while offset + 4 <= b.count {
            guard b[offset] == 0xFF else { throw corrupt("JPEG", "a marker was expected at byte \(offset)") }
            let marker = b[offset + 1]
            if marker == 0xFF { offset += 1; continue }   // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { offset += 2; continue }
            let length = Int(b[offset + 2]) << 8 | Int(b[offset + 3])
            guard length >= 2, offset + 2 + length <= b.count else { throw corrupt("JPEG", "it ends inside a segment (truncated?)") }
            // Start-of-frame markers (not DHT C4, JPG C8, DAC CC) carry the size.
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker), length >= 7 {
                info = ImageInfo(type: .jpeg, width: Int(b[offset + 7]) << 8 | Int(b[offset + 8]),
                                 height: Int(b[offset + 5]) << 8 | Int(b[offset + 6]), bitDepth: Int(b[offset + 4]))
            }
            if marker == 0xDA {
                // Entropy-coded data follows: an FF D9 after it is the end of image.
                guard var found = info else { throw corrupt("JPEG", "its scan comes before any frame header") }
                var i = offset + 2 + length
                while i + 1 < b.count {
                    if b[i] == 0xFF && b[i + 1] == 0xD9 {
                        found.length = i + 2
                        return found
                    }
                    i += 1
                }
                throw corrupt("JPEG", "it has no end-of-image marker (truncated?)")
            }
            offset += 2 + length
        }
        throw corrupt("JPEG", "it ends before its image data (truncated?)")
    }

    // MARK: WebP

    static func webp(_ b: [UInt8]) throws(Problem) -> ImageInfo {
        func le(_ i: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(b[i + $1]) << (8 * $1) } }
        guard b.count >= 30 else { throw corrupt("WebP", "it is too short to hold a header (truncated?)") }
        let riffSize = le(4, 4)
        guard riffSize + 8 <= b.count else { throw corrupt("WebP", "it holds \(b.count) bytes where its header promises \(riffSize + 8) (truncated?)") }
        let chunk = String(decoding: b[12..<16], as: UTF8.self)
        let length = riffSize + 8
        switch chunk {
        case "VP8 ":
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else { throw corrupt("WebP", "its VP8 frame has no start code") }
            return ImageInfo(type: .webp, width: le(26, 2) & 0x3FFF, height: le(28, 2) & 0x3FFF, bitDepth: 8, length: length)
        case "VP8L":
            guard b[20] == 0x2F else { throw corrupt("WebP", "its VP8L stream has no signature") }
            let bits = le(21, 4)
            return ImageInfo(type: .webp, width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1, bitDepth: 8, length: length)
        case "VP8X":
            return ImageInfo(type: .webp, width: le(24, 3) + 1, height: le(27, 3) + 1, bitDepth: 8, length: length)
        default:
            throw corrupt("WebP", "its first chunk is \"\(chunk)\", not VP8, VP8L or VP8X")
        }
    }
}

/// CRC-32 (ISO 3309, as PNG uses it), table-driven.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in bytes { c = t[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return ~c
    }
}
