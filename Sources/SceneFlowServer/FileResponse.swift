import Foundation
import Hummingbird
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// A file of a run folder as a response: streamed in 64 KiB chunks, one `Range` honoured
/// (`bytes=a-b`, `bytes=a-`, `bytes=-n`: 206, or 416 when it cannot be satisfied), the type
/// by extension. Only regular files directly inside the folder, symlinks resolved.
enum FileResponse {
    static let types = ["mp4": "video/mp4", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
                        "json": "application/json; charset=utf-8", "svg": "image/svg+xml", "wav": "audio/wav", "mp3": "audio/mpeg",
                        "m4a": "audio/mp4", "mov": "video/quicktime", "webm": "video/webm", "srt": "text/plain; charset=utf-8",
                        "vtt": "text/vtt; charset=utf-8", "otio": "application/json; charset=utf-8"]

    static func response(for url: URL, inside folder: URL, request: Request) throws -> Response {
        let resolved = url.resolvingSymlinksInPath().standardizedFileURL
        var info = stat()
        guard resolved.deletingLastPathComponent().path == folder.resolvingSymlinksInPath().standardizedFileURL.path,
              stat(resolved.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw APIError.notFound("no file \"\(url.lastPathComponent)\" in this run")
        }
        let size = Int(info.st_size)
        let type = types[url.pathExtension.lowercased()] ?? "application/octet-stream"
        var headers: HTTPFields = [.contentType: type, .acceptRanges: "bytes"]
        // Pictures, sound and video are shown in place; anything else (reports, edits, captions,
        // diagrams that could carry script) is a download, never a page of this origin.
        if !Self.isMedia(type) {
            headers[.contentDisposition] = "attachment; filename=\"\(Self.downloadName(url.lastPathComponent))\""
        }
        var range = 0..<size
        var status = HTTPResponse.Status.ok
        // One range is honoured; several, or a header that is not a byte range, get the whole file
        // (RFC 9110 lets a server ignore Range); a range outside the file is 416.
        if let header = request.headers[.range], isSingleByteRange(header) {
            guard let requested = parse(header, size: size) else {
                var error = APIError(.rangeNotSatisfiable, "range_not_satisfiable", "the range \(header.prefix(60)) is outside the file's \(size) bytes")
                error.headers = [.contentRange: "bytes */\(size)"]
                throw error
            }
            range = requested
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        let path = resolved.path, span = range
        let body = ResponseBody(contentLength: span.count) { writer in
            guard let handle = FileHandle(forReadingAtPath: path) else { throw APIError.notFound("the file went away") }
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(span.lowerBound))
            var left = span.count
            while left > 0 {
                let chunk = try handle.read(upToCount: min(left, 64 << 10)) ?? Data()
                guard !chunk.isEmpty else { break }
                try await writer.write(ByteBuffer(bytes: chunk))
                left -= chunk.count
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func isMedia(_ type: String) -> Bool {
        (type.hasPrefix("image/") && type != "image/svg+xml") || type.hasPrefix("video/") || type.hasPrefix("audio/")
    }

    /// A file name safe inside a quoted header value.
    static func downloadName(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" }.prefix(200))
    }

    /// `bytes=a-b` (with a <= b), `bytes=a-` or `bytes=-n`, one of them. Anything else, `bytes=5-2`
    /// included, is not a valid range, and RFC 9110 has the server ignore it.
    static func isSingleByteRange(_ header: String) -> Bool {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return false }
        let spec = header.dropFirst(6)
        guard spec.contains("-") && spec.allSatisfy({ $0.isNumber || $0 == "-" }) && spec.filter({ $0 == "-" }).count == 1 && spec != "-" else { return false }
        let parts = spec.split(separator: "-", omittingEmptySubsequences: false)
        if let first = Int(parts[0]), let last = Int(parts[1]), last < first { return false }
        return true
    }

    /// One byte range of a file of `size` bytes; nil if malformed, several, or unsatisfiable.
    static func parse(_ header: String, size: Int) -> Range<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard spec.count == 2, size > 0 else { return nil }
        if spec[0].isEmpty {
            guard let suffix = Int(spec[1]), suffix > 0 else { return nil }
            return max(0, size - suffix)..<size
        }
        guard let start = Int(spec[0]), start >= 0, start < size else { return nil }
        if spec[1].isEmpty { return start..<size }
        guard let end = Int(spec[1]), end >= start else { return nil }
        return start..<min(end + 1, size)
    }
}
