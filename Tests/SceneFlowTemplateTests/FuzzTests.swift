import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// Feeds thousands of mutated samples through loading and validation. A crash or hang fails the
/// run; every result must be "valid" or carry diagnostics located inside the file (what the CLI
/// turns into exit 0 or 1).
@Suite(.timeLimit(.minutes(3))) struct FuzzTests {
    /// SplitMix64: deterministic, so a failure reproduces from its seed.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let interesting: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "0", "-1", "1e999", "null", "true",
                                         "\n", "\r\n", "\t", "é", "🎬", "&a", "*a", "- ", ": ", "#", "\u{0}", "\u{FEFF}"].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { return bytes }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(contentsOf: interesting.randomElement(using: &rng)!, at: at)
            case 3: bytes = Array(bytes[..<at]) // truncate
            case 4:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: at) // duplicate a run
            default:
                let other = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.swapAt(at, other)
            }
        }
        return bytes
    }

    static let seeds = ["samples/unboxing.json", "samples/testimonial.yaml", "samples/product-only.json",
                        "samples/invalid/cycle.json", "samples/invalid/unknown-field.yaml"]

    @Test("mutated samples never crash and always yield located diagnostics or success", arguments: seeds)
    func mutatedSamples(_ seed: String) throws {
        let original = try InputFileError.readFile(packageRoot.appendingPathComponent(seed).path)
        let path = packageRoot.appendingPathComponent(seed).path
        var rng = Random(state: UInt64(truncatingIfNeeded: seed.hashValue & 0) &+ UInt64(seed.utf8.count))
        var invalidCount = 0
        for _ in 0..<800 {
            let bytes = Self.mutate(original, &rng)
            let diagnostics = LoadedTemplate.parse(bytes: bytes, path: path).validate()
            if diagnostics.hasErrors { invalidCount += 1 }
            let lineCount = bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 } + bytes.reduce(0) { $1 == 0x0D ? $0 + 1 : $0 }
            for d in diagnostics where d.file == path {
                if let line = d.line, let column = d.column {
                    #expect(line >= 1 && line <= lineCount + 1 && column >= 1, "\(d.textLine)")
                }
                #expect(!d.message.isEmpty)
            }
        }
        // The mutations must actually break things, or this test proves nothing.
        #expect(invalidCount > 100)
    }
}

/// YAML is read concurrently (a server validates many templates at once): many reads at once of
/// the same and different documents give the same results as one at a time. (Yams resolves
/// scalars with shared regular expressions; an earlier process-wide lock guarded against a crash
/// that turned out to be libdispatch's, see `ChildProcess`.)
@Suite(.timeLimit(.minutes(2))) struct ConcurrentYAMLTests {
    @Test func manyConcurrentReadsAgree() async throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("samples/testimonial.yaml"), encoding: .utf8)
        let expected = parse(text, name: "t.yaml").validate().map(\.textLine)
        let results = await withTaskGroup(of: [String].self) { group in
            for n in 0..<200 {
                group.addTask {
                    let variant = n % 2 == 0 ? text : text.replacingOccurrences(of: "duration_s: 5", with: "duration_s: 5.0")
                    return parse(variant, name: "t.yaml").validate().map(\.textLine)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0 == expected })
    }
}

@Suite(.timeLimit(.minutes(1))) struct ImagePathTests {
    /// Image paths that once trapped inside Foundation's path functions (a trailing slash, odd
    /// scalars): each is a located finding, never a crash.
    @Test(arguments: ["a/", "nope/", "é/", "🎬/", "x/🎬/", "//", "a//b/", "./", "x/.", "a\u{301}/", "\u{200D}/x", "\u{FEFF}", "a/b/c/"])
    func oddImagePathsAreFindings(_ image: String) throws {
        let value = String(decoding: try JSONSerialization.data(withJSONObject: [image], options: [.fragmentsAllowed]), as: UTF8.self).dropFirst().dropLast()
        let text = #"{"schema_version": 1, "id": "t", "avatars": [{"id": "a", "image": \#(value)}], "scenes": [{"id": "s", "avatar": "a", "speaking": false}]}"#
        let diagnostics = parse(text).validate()
        #expect(diagnostics.contains { $0.path == "avatars[0].image" }, "\(image): \(diagnostics.map(\.textLine))")
    }
}
