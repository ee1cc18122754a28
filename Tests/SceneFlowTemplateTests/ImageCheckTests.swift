import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// Images judged by their bytes: type, size, and the structure truncation or corruption breaks.
@Suite(.timeLimit(.minutes(2))) struct ImageCheckTests {
    @Test func theSampleImagesPass() throws {
        for file in ["samples/products/grinder/product.png", "samples/assets/maya.png", "samples/assets/kitchen.png"] {
            let info = try ImageCheck.inspect(path: packageRoot.appendingPathComponent(file).path)
            #expect(info.type == .png && info.width > 0 && info.height > 0, "\(file)")
        }
    }

    @Test func aTruncatedPNGIsCaughtAtEveryCut() throws {
        let bytes = try [UInt8](Data(contentsOf: packageRoot.appendingPathComponent("samples/products/grinder/product.png")))
        for cut in stride(from: 16, to: bytes.count, by: max(1, bytes.count / 40)) {
            #expect(throws: ImageCheck.Problem.self, "cut at \(cut)") { try ImageCheck.inspect(Array(bytes.prefix(cut))) }
        }
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x40
        let problem = try #require(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(flipped) }
        #expect(problem.description.contains("CRC"))
    }

    @Test func whatFollowsAPNGsEndIsNotPartOfIt() throws {
        let png = Self.png(width: 4, height: 4, depth: 8)
        #expect(try ImageCheck.inspect(png).length == png.count)
        let polyglot = png + Array("<html><script>alert(1)</script>".utf8)
        let info = try ImageCheck.inspect(polyglot)
        #expect(info.length == png.count && info.hasTrailingData(fileSize: polyglot.count))
    }

    @Test func hugeImagesAreRefusedNamingTheLimit() {
        let problem = #expect(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(Self.png(width: 8192, height: 8192, depth: 16)) }
        #expect(problem?.kind == .tooLarge)
        #expect(problem?.description.contains("8192 pixels a side") == true)
        #expect(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(Self.png(width: 20_000, height: 10, depth: 8)) }
        #expect((try? ImageCheck.inspect(Self.png(width: 4000, height: 3000, depth: 8)))?.width == 4000)
    }

    @Test func jpegAndWebPHeadersGiveTheirSize() throws {
        // A minimal JPEG: SOI, SOF0 (height 48, width 32), SOS, one byte of data, EOI.
        let sof: [UInt8] = [0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 48, 0x00, 32, 1, 1, 0x11, 0]
        let sos: [UInt8] = [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]
        let jpeg: [UInt8] = [0xFF, 0xD8] + sof + sos + [0x12, 0xFF, 0xD9]
        #expect(try ImageCheck.inspect(jpeg) == ImageInfo(type: .jpeg, width: 32, height: 48, bitDepth: 8, length: jpeg.count))
        // What follows the end of image (a phone's motion video, an archive) is not part of it.
        let appended = jpeg + Array("PK\u{3}\u{4}trailing".utf8)
        #expect(try ImageCheck.inspect(appended).length == jpeg.count)
        #expect(try ImageCheck.inspect(appended).hasTrailingData(fileSize: appended.count))
        #expect(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(Array(jpeg.dropLast(2))) }

        // A VP8L WebP of 100×60.
        let bits = UInt32(99) | UInt32(59) << 14
        var webp: [UInt8] = Array("RIFF".utf8) + [22, 0, 0, 0] + Array("WEBPVP8L".utf8) + [10, 0, 0, 0, 0x2F]
        webp += [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24 & 0xFF), 0, 0, 0, 0, 0, 0]
        // Its RIFF header says 30 bytes: the last byte of the array is not part of it.
        #expect(try ImageCheck.inspect(webp) == ImageInfo(type: .webp, width: 100, height: 60, bitDepth: 8, length: 30))
        #expect(try ImageCheck.inspect(webp + [1, 2, 3]).length == 30)
        #expect(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(Array(webp.dropLast(3))) }
    }

    @Test func otherFilesAreNotImages() {
        let problem = #expect(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(Array("<html>not found</html>".utf8)) }
        #expect(problem?.kind == .notAnImage)
    }

    @Test func fifosAndFoldersAreRefusedWithoutBlocking() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imagecheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("pipe.png")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let problem = #expect(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(path: fifo.path) }
        #expect(problem?.description.contains("named pipe") == true)
        let directory = #expect(throws: ImageCheck.Problem.self) { try ImageCheck.inspect(path: folder.path) }
        #expect(directory?.description.contains("directory") == true)
    }

    /// A structurally valid PNG header for any size (one empty IDAT chunk): enough for the check,
    /// which reads headers, never pixels.
    static func png(width: UInt32, height: UInt32, depth: UInt8) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(UInt32(data.count)) + body + be(CRC32.checksum(body[...]))
        }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", be(width) + be(height) + [depth, 2, 0, 0, 0])
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
    }
}
