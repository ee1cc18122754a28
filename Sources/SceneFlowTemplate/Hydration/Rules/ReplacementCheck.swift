import Foundation

/// Hydration-time images (`--avatar ID=PATH`, `--background ID=PATH`): each must replace an
/// avatar or background the template has, and be a readable PNG, JPEG or WebP image of a size
/// SceneFlow takes (`ImageCheck`).
public enum ReplacementCheck {
    public static func check(_ replacements: [String: URL], graph: SceneGraph) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for (node, url) in replacements.sorted(by: { $0.key < $1.key }) {
            let flag = node.hasPrefix("avatar:") ? "--avatar" : "--background"
            let id = String(node.drop { $0 != ":" }.dropFirst())
            guard let n = graph[node], n.kind == .avatar || n.kind == .background else {
                let kind = node.hasPrefix("avatar:") ? NodeKind.avatar : .background
                let known = graph.nodes.filter { $0.kind == kind }.map { String($0.id.drop { $0 != ":" }.dropFirst()) }
                diagnostics.append(Diagnostic(.error, kind == .avatar ? .unknownAvatar : .unknownBackground,
                                              "\(flag) \(Slug.shown(id)): the template has no \(kind.rawValue) \"\(Slug.shown(id))\"\(Suggestions.didYouMean(id, in: known))"
                                              + (known.isEmpty ? "" : "; it has \(known.joined(separator: ", "))"), path: flag))
                continue
            }
            do { _ = try ImageCheck.inspect(path: url.path) } catch {
                diagnostics.append(Diagnostic(.error, AssetFileRule.code(for: error),
                                              "\(flag) \(id)=\(url.path): \(error.reason)", path: flag))
            }
        }
        return diagnostics
    }
}
