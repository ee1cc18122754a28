import Crypto
import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// A job's cache key: the SHA-256 of everything that shapes its output, in a fixed order per
/// kind of work: the kind, the model, the prompt, the parameters that matter to the generator that
/// runs it, the take, and the digest of every input in the order the job reads them. Each
/// component is length-prefixed, so no prompt can forge another job's key.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    public var value: String

    public var description: String { value }

    public static func == (a: CacheKey, b: CacheKey) -> Bool { a.value == b.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    /// A key read back (from a report, an index, metadata): 64 lowercase hex digits, or nil.
    public init?(validating text: String) {
        guard text.utf8.count == 64, text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        value = text
    }

    /// Bump when the meaning of a component changes: every earlier output is then a miss.
    static let version = "sceneflow-cache-v2"

    public init(_ job: Job) {
        // One buffer, hashed once: this is on the scheduler's path for every job.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        bytes.append(contentsOf: Self.version.utf8)
        func field(_ name: String, _ value: String) {
            bytes.append(0x0A)
            Self.appendLength(name.utf8.count, to: &bytes)
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: "="))
            Self.appendLength(value.utf8.count, to: &bytes)
            bytes.append(contentsOf: value.utf8)
        }
        Self.visit(job, field: field) { n, input in
            // The same bytes as field("input:<n>:<role>:<node>", sha256), without building the name.
            let number = String(n)
            bytes.append(0x0A)
            Self.appendLength(7 + number.utf8.count + input.role.rawValue.utf8.count + 1 + input.node.utf8.count, to: &bytes)
            bytes.append(contentsOf: "input:".utf8)
            bytes.append(contentsOf: number.utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: input.role.rawValue.utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: input.node.utf8)
            bytes.append(UInt8(ascii: "="))
            Self.appendLength(input.sha256.utf8.count, to: &bytes)
            bytes.append(contentsOf: input.sha256.utf8)
        }
        value = Digest.sha256(bytes)
    }

    /// The named components of `job`'s key, for `explain` (what changed since the last run of this node).
    public static func components(of job: Job) -> [String: String] {
        var c: [String: String] = [:]
        visit(job, field: { c[$0] = $1 }, input: { n, input in c[inputName(n, input)] = input.sha256 })
        return c
    }

    private static func appendLength(_ n: Int, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: String(n).utf8)
        bytes.append(UInt8(ascii: ":"))
    }

    static func inputName(_ n: Int, _ input: Job.Input) -> String { "input:\(n):\(input.role.rawValue):\(input.node)" }

    /// Every component of `job`, in a fixed order per kind of work: fields, then the inputs
    /// (each named `input:<n>:<role>:<node>`, valued by its digest).
    private static func visit(_ job: Job, field body: (String, String) -> Void, input: (Int, Job.Input) -> Void) {
        body("kind", job.kind.rawValue)
        body("model", job.model.id)
        let local = job.model.provider == .local
        switch job.work {
        case .frame(let frame):
            body("prompt", frame.prompt)
            body("aspect_ratio", frame.aspectRatio.rawValue)
            if let camera = frame.camera { body("camera", camera) }
            if local {
                body("caption", frame.caption)
                body("resolution", String(frame.resolution))
            }
        case .speech(let speech):
            body("dialogue", speech.text)
            body("voice", speech.voice ?? "")
            if local {
                body("duration_s", formatNumber(speech.seconds))
                body("timing", "voiced-spans-50dB;v2")   // the words' times are kept with the output
            }
        case .clip(let clip):
            body("prompt", clip.prompt)
            body("aspect_ratio", clip.aspectRatio.rawValue)
            body("duration_s", formatNumber(clip.seconds))
            // Every clip, a provider's too, is conformed to the run's frame by the local engine.
            body("resolution", String(clip.resolution))
        case .cut(let cut):
            // How the cut is finished: what is burned in, the music, the loudness target, the tags.
            body("mix", "-14LUFS±0.5 measured-encoded+4x-true-peak-limiter+stems;v7")
            body("captions", cut.burnedCaptions.map { "\(formatNumber($0.start))-\(formatNumber($0.end)):\($0.text)" }.joined(separator: "\n"))
            body("music", cut.music?.sha256 ?? "")
            body("metadata", cut.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"))
        }
        if job.take > 1 { body("take", String(job.take)) }
        if let seed = job.seed { body("seed", String(seed)) }
        for (n, file) in job.inputs.enumerated() { input(n, file) }
    }

    /// What changed between an earlier job of the same node (its components) and this one
    /// (`current`), in words: "prompt changed; input asset:product_1 changed".
    public static func changes(from previous: [String: String], to current: [String: String]) -> [String] {
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
