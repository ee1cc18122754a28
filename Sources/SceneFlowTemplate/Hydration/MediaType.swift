import Foundation
import SceneFlowBasics

/// File types SceneFlow accepts, recognised by their first bytes, never by their name: a
/// `product.png` that is really a HEIC or an HTML error page must be caught before it is paid for.
public enum MediaType: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp, mp4, mov, webm

    public var isImage: Bool { self == .png || self == .jpeg || self == .webp }
    public var isVideo: Bool { !isImage }

    public var mimeType: String {
        switch self {
        case .png: return "image/png"
        case .jpeg: return "image/jpeg"
        case .webp: return "image/webp"
        case .mp4: return "video/mp4"
        case .mov: return "video/quicktime"
        case .webm: return "video/webm"
        }
    }

    /// Reads at most the first 64 bytes, of a regular file only (never blocks on a FIFO).
    public static func sniff(fileAt url: URL) -> MediaType? {
        guard let head = try? RegularFile.head(url.path, count: 64) else { return nil }
        return sniff(head)
    }

    public static func sniff(_ b: [UInt8]) -> MediaType? {
        func at(_ offset: Int, _ bytes: [UInt8]) -> Bool {
            b.count >= offset + bytes.count && Array(b[offset..<offset + bytes.count]) == bytes
        }
        func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }
        if at(0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if at(0, [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if at(0, ascii("RIFF")) && at(8, ascii("WEBP")) { return .webp }
        if at(4, ascii("ftyp")) { return at(8, ascii("qt  ")) ? .mov : .mp4 }
        if at(4, ascii("moov")) || at(4, ascii("mdat")) || at(4, ascii("wide")) || at(4, ascii("free")) { return .mov }
        if at(0, [0x1A, 0x45, 0xDF, 0xA3]) {
            // EBML: WebM declares its DocType "webm" in the header.
            let header = String(decoding: b, as: UTF8.self)
            return header.contains("webm") ? .webm : nil
        }
        return nil
    }
}
