import Foundation
import SceneFlowBasics

/// Graphviz writes a node's image as the absolute path it was given. A run's diagram lives in
/// the run folder beside those images, so references into `folder` are made relative
/// (`hook.first_frame.png`): the folder can be moved, zipped or served and the pictures still
/// show. Other images (all of them without a folder) are embedded as data URIs, so a diagram
/// written anywhere is whole. `base` goes before each relative name, for a diagram served
/// somewhere other than beside its images (the server's `/runs/{id}/graph.svg`: `files/`).
public enum SVGImages {
    public static func relativize(_ svg: String, folder: URL?, base: String = "") -> String {
        let prefix = folder.map { $0.standardizedFileURL.path + "/" } ?? "\0"
        var result = ""
        result.reserveCapacity(svg.utf8.count)
        var rest = Substring(svg)
        while let range = rest.range(of: "xlink:href=\"") {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            let href = String(rest[..<end])
            rest = rest[end...]
            if href.hasPrefix(prefix), FileName.isPlain(String(href.dropFirst(prefix.count))) {
                result += escape(base + String(href.dropFirst(prefix.count)))
            } else if href.hasPrefix("/"), let data = try? RegularFile.read(href, limit: 16 << 20), let type = MediaType.sniff(Array(data.prefix(64))), type.isImage {
                result += "data:\(type.mimeType);base64," + Data(data).base64EncodedString()
            } else {
                result += href
            }
        }
        result += rest
        return result
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
