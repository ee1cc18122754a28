/// Graphviz titles each SVG group with the object's name; SceneFlow's diagrams carry a tooltip
/// per node and scene instead (what it is, model, prompt, status, error), so that a browser
/// shows it on hover and a page can find the group by its id (`hook.first_frame`,
/// `scene:hook`). One pass over the SVG's bytes.
public enum SVGTitles {
    public static func apply(_ titles: [String: String], to svg: String) -> String {
        guard !titles.isEmpty else { return svg }
        let bytes = Array(svg.utf8)
        let open = Array("<g id=\"".utf8), titleOpen = Array("<title>".utf8), titleClose = Array("</title>".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + titles.count * 64)
        func matches(_ pattern: [UInt8], at i: Int) -> Bool {
            i + pattern.count <= bytes.count && bytes[i..<i + pattern.count].elementsEqual(pattern)
        }
        func find(_ pattern: [UInt8], from start: Int) -> Int? {
            var i = start
            while i + pattern.count <= bytes.count {
                if bytes[i] == pattern[0] && matches(pattern, at: i) { return i }
                i += 1
            }
            return nil
        }
        var i = 0
        while let g = find(open, from: i) {
            let idStart = g + open.count
            guard let idEnd = bytes[idStart...].firstIndex(of: UInt8(ascii: "\"")) else { break }
            out += bytes[i..<idEnd]
            i = idEnd
            let id = unescape(String(decoding: bytes[idStart..<idEnd], as: UTF8.self))
            // The group's own title comes right after its opening tag.
            guard let title = titles[id], let tagEnd = bytes[idEnd...].firstIndex(of: UInt8(ascii: ">")) else { continue }
            var t = tagEnd + 1
            while t < bytes.count, bytes[t] == 0x0A || bytes[t] == 0x20 { t += 1 }
            guard matches(titleOpen, at: t), let close = find(titleClose, from: t + titleOpen.count) else { continue }
            out += bytes[i..<t + titleOpen.count]
            out += Array(escape(title).utf8)
            i = close
        }
        out += bytes[i...]
        return String(decoding: out, as: UTF8.self)
    }

    static func escape(_ s: String) -> String {
        var result = ""
        result.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            default: result.unicodeScalars.append(c)
            }
        }
        return result
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&#45;", with: "-").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }
}
