import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// The files behind a graph's input nodes: avatar and background images (from the template's
/// folder, the workspace's downloads of https images, or a hydration-time replacement) and the
/// product assets of the hydration, each with its SHA-256.
public struct InputResolver: Sendable {
    public var templateDirectory: URL
    public var assets: HydrationInputs
    /// Avatar and background images given as https URLs, already downloaded: URL → file.
    public var remoteImages: [String: URL]
    /// Images replacing a template's avatar or background for this hydration, by node id
    /// (`avatar:maya` → file).
    public var replacements: [String: URL]
    /// Where a run pins its inputs (`InputPins`): every file is copied there as it is hashed, and
    /// jobs read the copy. Nil for a prediction (`plan`), which only hashes.
    public var pins: InputPins?

    public init(templateDirectory: URL, assets: HydrationInputs = HydrationInputs(), remoteImages: [String: URL] = [:], replacements: [String: URL] = [:],
                pins: InputPins? = nil) {
        self.templateDirectory = templateDirectory
        self.assets = assets
        self.remoteImages = remoteImages
        self.replacements = replacements
        self.pins = pins
    }

    public func files(for node: SceneGraph.Node) throws(RunError) -> [FileRef] {
        func digest(_ url: URL) throws(RunError) -> FileRef {
            do {
                if let pins { return try pins.pin(url) }
                return FileRef(url: url, sha256: try Digest.sha256(fileAt: url))
            } catch {
                throw RunError(Self.unreadable(node, file: url, error: error))
            }
        }
        if let replacement = replacements[node.id] { return [try digest(replacement)] }
        switch node.kind {
        case .asset:
            var refs: [FileRef] = []
            for file in assets.files(for: node.input ?? "") { refs.append(try digest(file.url)) }
            return refs
        case .avatar, .background:
            guard let reference = node.input else { return [] }
            switch ImageReference.resolve(reference, templateDirectory: templateDirectory) {
            case .file(let url):
                return [try digest(url)]
            case .remote(let url):
                guard let file = remoteImages[url.absoluteString] else { throw RunError("\(url.absoluteString) was not downloaded before the run") }
                return [try digest(file)]
            case .escapes, .invalid:
                throw RunError("\(reference) is not a usable image reference")
            }
        default:
            return []
        }
    }

    /// What a person reads when an input cannot be read at run time: which input (by what the
    /// template and the product call it), which file (its name only), what is wrong with it and
    /// what to do. No path of the workspace, no Foundation error text.
    static func unreadable(_ node: SceneGraph.Node, file: URL, error: any Error) -> String {
        let name = file.lastPathComponent
        let what: String
        switch node.kind {
        case .asset: what = "the product's file for slot \"\(node.input ?? node.id)\" (\(name))"
        case .avatar: what = "the image of avatar \"\(node.id.drop { $0 != ":" }.dropFirst())\" (\(name))"
        case .background: what = "the image of background \"\(node.id.drop { $0 != ":" }.dropFirst())\" (\(name))"
        default: what = "\(node.id) (\(name))"
        }
        var isDirectory: ObjCBool = false
        let problem: String
        if !FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) {
            problem = "the file no longer exists"
        } else if isDirectory.boolValue {
            problem = "it is a folder, not a file"
        } else if !FileManager.default.isReadableFile(atPath: file.path) {
            problem = "it cannot be read (permission denied)"
        } else {
            problem = ErrorText.describe(error).replacingOccurrences(of: file.path, with: name)
        }
        return "\(what) cannot be used: \(problem). Replace it (upload another file) or put it back, then retry"
    }
}
