import Foundation
import SceneFlowBasics
import SceneFlowProcess
import SceneFlowRun
import SceneFlowTemplate

#if canImport(Glibc)
import Glibc
#endif

/// Decodes an image in full, every pixel: a PNG in process (`PNGPixels`: its image data
/// inflated with zlib, every row there), a JPEG or WebP with ffmpeg — errors fatal: any message
/// at ffmpeg's error level fails it, even when ffmpeg itself would exit 0. `ImageCheck` reads the
/// structure without a process; this is the second, complete look, taken where processes may
/// run: `validate`, every hydration before anything is spent, the stores before they keep a
/// file, and the local engine before it composites one.
///
/// Verdicts are kept per file version (device, inode, size, modification and change times),
/// so a file is decoded once per process however often it is checked.
public actor ImageDecoding {
    public static let shared = ImageDecoding()

    private var verdicts: [Version: String?] = [:]
    private struct Version: Hashable { var path: String; var file: FileVersion }

    /// Why the image at `url` cannot be decoded, or nil when every pixel decodes.
    public func problem(_ url: URL) async -> String? {
        guard let file = FileVersion(path: url.path) else { return "it cannot be read: \(String(cString: strerror(errno)))" }
        let version = Version(path: url.path, file: file)
        if let known = verdicts[version] { return known }
        let verdict = await Self.decode(url)
        verdicts[version] = verdict
        return verdict
    }

    /// Whether pixels can be checked here at all (ffmpeg installed).
    public static var isAvailable: Bool { Command.find("ffmpeg") != nil }

    static func decode(_ url: URL) async -> String? {
        let type = MediaType.sniff(fileAt: url) ?? .png
        if type == .png {
            // In process (zlib): the image's own bytes, whatever follows them.
            do {
                let bytes = try RegularFile.read(url.path, limit: ImageCheck.maxBytes)
                return PNGPixels.problem(bytes).map { "its pixels do not decode (\($0))" }
            } catch {
                return "it cannot be read: \(ErrorText.describe(error))"
            }
        }
        guard let ffmpeg = Command.find("ffmpeg") else {
            return "ffmpeg is not installed, so its pixels cannot be checked (apt-get install ffmpeg)"
        }
        // The image's own bytes are decoded: what follows its end (which the stores leave out)
        // is not its pixels.
        var file = url
        var trimmed: URL?
        defer { if let trimmed { try? FileManager.default.removeItem(at: trimmed) } }
        if let info = try? ImageCheck.inspect(path: url.path), let size = try? RegularFile.size(url.path), info.hasTrailingData(fileSize: size),
           let bytes = try? RegularFile.read(url.path, limit: ImageCheck.maxBytes) {
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-decode-\(UUID().uuidString)")
            if (try? AtomicFile.write(Data(bytes.prefix(info.length)), to: copy)) != nil {
                trimmed = copy
                file = copy
            }
        }
        // Read as the local engine reads images: `file:`, patterns off, the decoder by content.
        let command = Command(ffmpeg, arguments: ["-nostdin", "-hide_banner", "-v", "error", "-xerror"]
                                  + LocalCommands.input(ImageFile(path: file.path, type: type)) + ["-frames:v", "1", "-f", "null", "-"],
                              stdout: .capture(limit: 1 << 16, keep: .head), stderr: .capture(limit: 16 << 10, keep: .tail))
        do {
            let outcome = try await ChildProcess.run(command)
            let said = String(decoding: outcome.stderr, as: UTF8.self).split(separator: "\n")
                .map { $0.replacingOccurrences(of: #"^\[[a-z0-9_]+ @ 0x[0-9a-f]+\] "#, with: "", options: .regularExpression) }
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            if outcome.succeeded && said.isEmpty { return nil }
            let reason = said.isEmpty ? "ffmpeg \(outcome.termination)" : Array(NSOrderedSet(array: said)).compactMap { $0 as? String }.prefix(2).joined(separator: "; ")
            return "its pixels do not decode (\(reason.replacingOccurrences(of: file.path, with: url.lastPathComponent)))"
        } catch {
            return "its pixels could not be checked: \(ErrorText.describe(error))"
        }
    }
}

/// The images a hydration would read, decoded in full before anything is spent: the template's
/// own avatars and backgrounds (located at their field), the product's image files and the
/// hydration-time replacements (located as the structure checks locate them).
public enum ImageDecodeCheck {
    public static func diagnostics(_ loaded: LoadedTemplate, inputs: HydrationInputs? = nil, replacements: [String: URL] = [:],
                                   decoder: ImageDecoding = .shared) async -> [Diagnostic] {
        guard let template = loaded.template else { return [] }
        let canDecodeAll = ImageDecoding.isAvailable
        var unchecked = false
        /// PNGs are decoded in process; other types need ffmpeg, and without it are left to the
        /// run's own check, said once as a warning.
        func check(_ url: URL) async -> String? {
            guard canDecodeAll || MediaType.sniff(fileAt: url) == .png else { unchecked = true; return nil }
            return await decoder.problem(url)
        }
        var findings = Findings()
        let images = template.avatars.map { ($0.image, "avatar \"\($0.id?.value ?? "#\($0.index)")\"", "avatars[\($0.index)].image") }
            + template.backgrounds.map { ($0.image, "background \"\($0.id?.value ?? "#\($0.index)")\"", "backgrounds[\($0.index)].image") }
        for (image, owner, path) in images {
            guard let image, case .file(let url) = ImageReference.resolve(image.value, templateDirectory: loaded.directory),
                  (try? ImageCheck.inspect(path: url.path)) != nil else { continue }  // missing or malformed: the rules said so
            if let problem = await check(url) {
                findings.error(.invalidMedia, "image of \(owner), \"\(image.value)\": \(problem)", path: path, at: image.anchor)
            }
        }
        var diagnostics = loaded.resolve(findings)
        if let inputs {
            let context = InputContext(loaded: loaded, template: template)
            for file in inputs.files {
                guard context.template.slotByKey[file.key]?.type?.value.isImage == true, (try? ImageCheck.inspect(path: file.url.path)) != nil else { continue }
                if let problem = await check(file.url) {
                    diagnostics.append(context.atFile(file, .invalidMedia, "asset \"\(Slug.shown(file.path))\" for slot \"\(file.key)\": \(problem)"))
                }
            }
        }
        for (node, url) in replacements.sorted(by: { $0.key < $1.key }) where (try? ImageCheck.inspect(path: url.path)) != nil {
            if let problem = await check(url) {
                let flag = node.hasPrefix("avatar:") ? "--avatar" : "--background"
                diagnostics.append(Diagnostic(.error, .invalidMedia, "\(flag) \(node.drop { $0 != ":" }.dropFirst())=\(url.lastPathComponent): \(problem)", path: flag))
            }
        }
        if unchecked {
            diagnostics.append(Diagnostic(.warning, .invalidMedia, "JPEG and WebP images were checked by their structure only: ffmpeg is not installed, so their pixels were not decoded (apt-get install ffmpeg)", path: ""))
        }
        return diagnostics
    }
}
