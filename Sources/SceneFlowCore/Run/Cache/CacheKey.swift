import Crypto
import Foundation

/// A job's cache key: the SHA-256 of everything that shapes its output, in a fixed order per
/// kind of work: the kind, the model, the prompt, the parameters that matter to the engine that
/// runs it, the take, and the digest of every input in the order the job reads them. Each
/// component is length-prefixed, so no prompt can forge another job's key.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    public var value: String
    /// The named components, for `explain` (what changed since the last run of this node).
    public var components: [(name: String, value: String)]

    public var description: String { value }

    public static func == (a: CacheKey, b: CacheKey) -> Bool { a.value == b.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    /// Bump when the meaning of a component changes: every earlier output is then a miss.
    static let version = "sceneflow-cache-v2"

    public init(_ job: Job) {
        var c: [(String, String)] = [("kind", job.kind.rawValue), ("model", job.model.id)]
        let local = job.model.provider == .local
        switch job.work {
        case .frame(let frame):
            c.append(("prompt", frame.prompt))
            c.append(("aspect_ratio", frame.aspectRatio.rawValue))
            if let camera = frame.camera { c.append(("camera", camera)) }
            if local {
                c.append(("caption", frame.caption))
                c.append(("resolution", String(frame.resolution)))
            }
        case .speech(let speech):
            c.append(("dialogue", speech.text))
            c.append(("voice", speech.voice ?? ""))
            if local { c.append(("duration_s", formatNumber(speech.seconds))) }
        case .clip(let clip):
            c.append(("prompt", clip.prompt))
            c.append(("aspect_ratio", clip.aspectRatio.rawValue))
            c.append(("duration_s", formatNumber(clip.seconds)))
            // Every clip, a provider's too, is conformed to the run's frame by the local engine.
            c.append(("resolution", String(clip.resolution)))
        case .cut:
            break
        }
        if job.take > 1 { c.append(("take", String(job.take))) }
        for (n, input) in job.inputs.enumerated() {
            c.append(("input:\(n):\(input.role.rawValue):\(input.node)", input.sha256))
        }
        var hasher = SHA256()
        hasher.update(data: Data(Self.version.utf8))
        for (name, value) in c {
            hasher.update(data: Data("\n\(name.utf8.count):\(name)=\(value.utf8.count):".utf8))
            hasher.update(data: Data(value.utf8))
        }
        self.value = Digest.hex(hasher.finalize())
        self.components = c
    }

    /// What changed between an earlier job of the same node (its components) and this one, in
    /// words: "prompt changed; input asset:product_1 changed".
    public func changes(since previous: [String: String]) -> [String] {
        let current = Dictionary(components, uniquingKeysWith: { a, _ in a })
        var changes = Set<String>()
        for name in Set(current.keys).union(previous.keys) where name != "key" && current[name] != previous[name] {
            if name.hasPrefix("input:") {
                // input:<n>:<role>:<node id>, and node ids may hold a colon (asset:product_1).
                changes.insert("input \(name.split(separator: ":", maxSplits: 3).dropFirst(3).first.map(String.init) ?? name) changed")
            } else if ["prompt", "dialogue", "caption"].contains(name) {
                changes.insert("\(name) changed")
            } else {
                changes.insert("\(name) changed (\(previous[name] ?? "unset") → \(current[name] ?? "unset"))")
            }
        }
        return changes.sorted()
    }
}
