import Foundation
import SceneFlowBasics

/// Every supplied file must be a regular file that exists and is what its slot's type says,
/// judged by content: an image slot's file must be a readable PNG, JPEG or WebP of a size
/// SceneFlow decodes (`ImageCheck`: header, structure, dimensions), a `product_video` slot's an
/// MP4, MOV or WebM of at most 1 GB. A truncated product image is caught here, before anything
/// is paid for, not by the job that would read it.
public struct AssetFileRule: InputRule {
    public static let codes: [DiagnosticCode] = [.assetNotFound, .assetTypeMismatch, .invalidMedia]
    public static let maxVideoBytes = 1 << 30

    public func check(_ inputs: HydrationInputs, _ context: InputContext, into diagnostics: inout [Diagnostic]) {
        for file in inputs.files {
            let subject = "asset \"\(Slug.shown(file.path))\" for slot \"\(file.key)\""
            let size: Int
            do { size = try RegularFile.size(file.url.path) } catch {
                let missing = error.reason == "no such file"
                diagnostics.append(context.atFile(file, .assetNotFound, missing ? "asset file \"\(Slug.shown(file.path))\" for slot \"\(file.key)\" does not exist" : "\(subject) cannot be read: \(error.reason)"))
                continue
            }
            guard let slotType = context.template.slotByKey[file.key]?.type?.value else { continue }
            if slotType.isImage {
                do { _ = try ImageCheck.inspect(path: file.url.path) } catch {
                    let message = error.kind == .notAnImage
                        ? "\(subject) (\(slotType.rawValue)) is \(MediaType.sniff(fileAt: file.url).map { "\($0.rawValue.uppercased()) data" } ?? "not a recognised image or video"), not a PNG, JPEG or WebP image (checked by content)"
                        : "\(subject): \(error.reason)"
                    diagnostics.append(context.atFile(file, Self.code(for: error), message))
                }
                continue
            }
            let actual = MediaType.sniff(fileAt: file.url)
            guard actual?.isVideo == true else {
                diagnostics.append(context.atFile(file, .assetTypeMismatch,
                                                  "\(subject) (\(slotType.rawValue)) is \(actual.map { "\($0.rawValue.uppercased()) data" } ?? "not a recognised image or video"), not an MP4, MOV or WebM video (checked by content)"))
                continue
            }
            if size > Self.maxVideoBytes {
                diagnostics.append(context.atFile(file, .invalidMedia, "\(subject) is \(ByteCount(size)); SceneFlow takes videos up to \(ByteCount(Self.maxVideoBytes))"))
            }
        }
    }

    /// The diagnostic code for an image that failed its check.
    public static func code(for problem: ImageCheck.Problem) -> DiagnosticCode {
        switch problem.kind {
        case .unreadable: return .assetNotFound
        case .notAnImage: return .assetTypeMismatch
        case .corrupt: return .invalidMedia
        case .tooLarge: return .invalidMedia
        }
    }
}
