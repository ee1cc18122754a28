import Foundation
@testable import SceneFlowProviders
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import SceneFlowTestTags

/// The in-process PNG pixel check against a corpus (`Fixtures/png`, written by its `make.py`:
/// every colour type, depth and interlace, and images whose chunks and CRCs are all valid but
/// whose data a decoder cannot use), against streams cut anywhere, and against ffmpeg.
@Suite(.timeLimit(.minutes(3))) struct PNGPixelsTests {
    static let corpus = packageRoot.appendingPathComponent("Tests/SceneFlowProviderTests/Fixtures/png")

    static func files(_ prefix: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasPrefix(prefix) && $0.pathExtension == "png" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func everyValidImageDecodesAndEveryBrokenOneIsRefused() throws {
        let valid = try Self.files("ok-"), broken = try Self.files("bad-")
        #expect(valid.count > 100 && broken.count >= 10, "the corpus is there")
        for file in valid {
            let bytes = [UInt8](try Data(contentsOf: file))
            #expect(PNGPixels.problem(bytes) == nil, "\(file.lastPathComponent): \(PNGPixels.problem(bytes) ?? "")")
        }
        for file in broken {
            let bytes = [UInt8](try Data(contentsOf: file))
            // Each passes the structural look (chunks, CRCs): only decoding finds it out.
            #expect((try? ImageCheck.inspect(bytes)) != nil, "\(file.lastPathComponent) is structurally valid")
            #expect(PNGPixels.problem(bytes) != nil, "\(file.lastPathComponent) is refused")
        }
    }

    /// The image data (all IDAT chunks together) and the chunks around it.
    static func split(_ bytes: [UInt8]) -> (head: [UInt8], data: [UInt8]) {
        var offset = 8, head: [UInt8] = Array(bytes[0..<8]), data: [UInt8] = []
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            if type == "IDAT" { data += bytes[offset + 8..<offset + 8 + length] } else if type != "IEND" { head += bytes[offset..<offset + 12 + length] }
            offset += 12 + length
        }
        return (head, data)
    }

    /// A PNG of `head`'s chunks with `data` as its one IDAT, every CRC right.
    static func assemble(_ head: [UInt8], _ data: [UInt8]) -> [UInt8] {
        func chunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
            let n = UInt32(payload.count), body = Array(type.utf8) + payload
            let crc = CRC32.checksum(body[...])
            return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
                + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        }
        return head + chunk("IDAT", data) + chunk("IEND", [])
    }

    /// A zlib stream cut anywhere before its end never decodes, in any format of the corpus.
    @Test func aStreamCutAnywhereIsRefused() throws {
        var random = SplitMix64(seed: 24)
        for file in try Self.files("ok-") {
            let (head, data) = Self.split([UInt8](try Data(contentsOf: file)))
            for _ in 0..<8 {
                let cut = Int(random.next() % UInt64(data.count))
                let png = Self.assemble(head, Array(data[..<cut]))
                #expect((try? ImageCheck.inspect(png)) != nil)
                #expect(PNGPixels.problem(png) != nil, "\(file.lastPathComponent) cut at \(cut) of \(data.count)")
            }
        }
    }

    /// Differential: image data damaged at random (CRCs recomputed, so only a decoder can tell).
    /// Whatever ffmpeg, errors fatal, refuses, the in-process check refuses too.
    @Test(.tags(.ffmpeg)) func whateverFFmpegRefusesIsRefused() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var random = SplitMix64(seed: 2024)
        let sources = try Self.files("ok-").filter { $0.lastPathComponent.contains("9x9") || $0.lastPathComponent.contains("17x2") }
        var refusedByFFmpeg = 0
        for index in 0..<120 {
            let source = sources[Int(random.next() % UInt64(sources.count))]
            var (head, data) = Self.split([UInt8](try Data(contentsOf: source)))
            for _ in 0...(random.next() % 3) {
                data[Int(random.next() % UInt64(data.count))] = UInt8(random.next() & 0xFF)
            }
            let png = Self.assemble(head, data)
            let file = dir.appendingPathComponent("case-\(index).png")
            try Data(png).write(to: file)
            let ffmpeg = try await run("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-xerror", "-i", file.path, "-frames:v", "1", "-f", "null", "-"], timeout: 30)
            let ffmpegRefuses = ffmpeg.status != 0 || !ffmpeg.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            if ffmpegRefuses {
                refusedByFFmpeg += 1
                #expect(PNGPixels.problem(png) != nil, "case \(index) from \(source.lastPathComponent): ffmpeg said \(ffmpeg.stderr.prefix(200))")
            }
        }
        #expect(refusedByFFmpeg > 10, "the damage reached the decoder")
    }
}
