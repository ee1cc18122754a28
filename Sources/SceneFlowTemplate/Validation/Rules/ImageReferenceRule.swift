import Foundation

/// Avatar and background images must be `https://` URLs or files inside the template's folder
/// that exist and are images. A path that escapes the folder (`../../secrets.png`, an absolute
/// path, a symlink out) is refused: templates are shared, and must not read arbitrary files.
struct ImageReferenceRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.missingFile, .pathEscapesTemplate, .notAnImage, .invalidImageReference, .invalidMedia]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for avatar in context.template.avatars {
            check(avatar.image, owner: "avatar \"\(avatar.id?.value ?? "#\(avatar.index)")\"", path: "avatars[\(avatar.index)].image", context, &findings)
        }
        for background in context.template.backgrounds {
            check(background.image, owner: "background \"\(background.id?.value ?? "#\(background.index)")\"", path: "backgrounds[\(background.index)].image", context, &findings)
        }
    }

    private func check(_ image: Located<String>?, owner: String, path: String, _ context: ValidationContext, _ findings: inout Findings) {
        guard let image else { return }
        switch ImageReference.resolve(image.value, templateDirectory: context.templateDirectory) {
        case .remote:
            return
        case .invalid(let reason):
            findings.error(.invalidImageReference, "image of \(owner) \(reason)", path: path, at: image.anchor,
                           suggestion: "use a path relative to the template file, or an https:// URL")
        case .escapes:
            findings.error(.pathEscapesTemplate, "image of \(owner), \"\(image.value)\", is outside the template's folder",
                           path: path, at: image.anchor, suggestion: "copy the image next to the template and refer to it by a relative path")
        case .file(let url):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                let siblings = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
                let near = Suggestions.nearest(to: url.lastPathComponent, in: siblings)
                // Not NSString's deletingLastPathComponent: swift-corelibs-foundation traps on some
                // strings (found by Schemathesis through `sceneflow serve`).
                let relativeDirectory = image.value.lastIndex(of: "/").map { String(image.value[..<$0]) } ?? ""
                let suggestion = near.map { relativeDirectory.isEmpty ? $0 : "\(relativeDirectory)/\($0)" }
                findings.error(.missingFile, "image of \(owner), \"\(image.value)\", does not exist\(suggestion.map { "; did you mean \"\($0)\"?" } ?? "")",
                               path: path, at: image.anchor)
                return
            }
            do { _ = try ImageCheck.inspect(path: url.path) } catch {
                if error.kind == .notAnImage {
                    findings.error(.notAnImage, "image of \(owner), \"\(image.value)\", is not a PNG, JPEG or WebP image (checked by content)",
                                   path: path, at: image.anchor)
                } else {
                    findings.error(.invalidMedia, "image of \(owner), \"\(image.value)\": \(error.reason)", path: path, at: image.anchor)
                }
                return
            }
        }
    }
}

/// Where an avatar or background image comes from.
public enum ImageReference: Sendable, Equatable {
    case remote(URL)
    case file(URL)
    case escapes
    case invalid(String)

    /// Resolves `reference` against the template's folder. Without a folder (a template read
    /// from standard input), relative paths resolve against the current directory.
    public static func resolve(_ reference: String, templateDirectory: URL?) -> ImageReference {
        if reference.isEmpty { return .invalid("is empty") }
        if let scheme = reference.range(of: "://").map({ reference[..<$0.lowerBound].lowercased() }) {
            guard scheme == "https", let url = URL(string: reference), url.host != nil else {
                return .invalid("uses \"\(scheme)://\"; only https:// URLs and relative paths are allowed")
            }
            return .remote(url)
        }
        if reference.hasPrefix("/") { return .escapes }
        let base = (templateDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
        let url = base.appendingPathComponent(reference).standardizedFileURL
        // Lexically inside, and still inside once symlinks are resolved.
        let basePath = base.resolvingSymlinksInPath().path
        guard url.path.hasPrefix(base.path + "/"), url.resolvingSymlinksInPath().path.hasPrefix(basePath + "/") else {
            return .escapes
        }
        return .file(url)
    }
}
