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
            if let pins {
                do { return try pins.pin(url) } catch { throw RunError("\(node.id): \(error)") }
            }
            do { return FileRef(url: url, sha256: try Digest.sha256(fileAt: url)) } catch {
                throw RunError("\(node.id): cannot read \(url.path): \(RunFolder.reason(error))")
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
}
