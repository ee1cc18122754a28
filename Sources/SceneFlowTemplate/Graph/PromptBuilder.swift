/// The one place prompts are written, for every scheduler and provider.
///
/// The dashboard this replaces put a scene's dialogue into every video prompt, so non-speaking
/// scenes got lines read into them; here dialogue reaches a prompt only when the scene speaks.
/// Inputs are named in the order the job passes them (`@Image1`, ...), as Kling O1 expects.
public enum PromptBuilder {
    /// The prompt of `node`'s job; `images` are the roles of its input images in the order the
    /// job passes them.
    public static func prompt(for node: SceneGraph.Node, scene: SceneFacts?, images inputs: [EdgeType], aspectRatio: AspectRatio) -> String {
        let scenePrompt = scene?.prompt.trimmed ?? ""
        func images() -> String {
            inputs.enumerated().map { "@Image\($0.offset + 1) is \(describe($0.element))" }.joined(separator: "; ")
        }
        switch node.job {
        case .firstFrame:
            return sentence([
                "A single photorealistic \(aspectRatio.rawValue) frame of a UGC video ad",
                scenePrompt, node.framePrompt?.trimmed ?? "",
                inputs.isEmpty ? "" : images(),
                "Keep the person, the place and the product exactly as in the reference images",
            ])
        case .lastFrame:
            let endState = node.framePrompt?.trimmed ?? scenePrompt
            return sentence([
                "The closing frame of the same shot as @Image1: \(endState)",
                inputs.count > 1 ? images() : "",
                "Same person, place, product, lighting and framing as @Image1",
            ])
        case .cameraAngle:
            return sentence([
                "The same moment as @Image1, seen from a different camera: \(node.camera?.trimmed ?? "")",
                "Keep the people, the product, the lighting and the setting identical",
            ])
        case .audio:
            return scene?.dialogue?.trimmed ?? ""
        case .video:
            var parts = [scenePrompt]
            if let dialogue = scene?.dialogue?.trimmed, scene?.speaking == true, !dialogue.isEmpty {
                parts.append("The person speaks to the camera, saying: \"\(dialogue)\"")
            }
            parts.append("Natural handheld UGC style")
            return sentence(parts)
        case .combine, nil:
            return ""
        }
    }

    static func describe(_ role: EdgeType) -> String {
        switch role {
        case .avatar: return "the person"
        case .background: return "the place"
        case .productImage: return "the product"
        case .productVideo: return "the product in motion"
        case .logo: return "the brand logo"
        case .referenceImage: return "a size reference placed next to the product (match its scale)"
        case .firstFrame: return "the scene's first frame"
        case .lastFrame: return "the scene's last frame"
        default: return role.rawValue
        }
    }

    /// Non-empty parts joined as sentences (one string built in place: this runs for every job).
    static func sentence(_ parts: [String]) -> String {
        var result = ""
        result.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count + 2 })
        for part in parts {
            let text = part.trimmed
            guard !text.isEmpty else { continue }
            if !result.isEmpty { result += " " }
            result += text
            if let last = text.utf8.last, last != UInt8(ascii: "."), last != UInt8(ascii: "!"), last != UInt8(ascii: "?") { result += "." }
        }
        return result
    }
}

extension String {
    /// Without leading and trailing white space (ASCII fast path; Unicode spaces too).
    var trimmed: String {
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last else { return self }
        func ascii(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        if first < 0x80, last < 0x80, !ascii(first), !ascii(last) { return self }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
