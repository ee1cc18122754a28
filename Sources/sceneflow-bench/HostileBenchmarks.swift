import Foundation
import SceneFlowTestSupport

/// Inputs built to hurt: each is written to disk, then `sceneflow validate` (and `plan` where it
/// validates) runs on it as a whole process; the table says how it ended, how long it took and
/// the most memory it used. Every one must end (finish, or stop with a clear error), never
/// crash or hang.
enum HostileBenchmarks {
    static func run(binary: URL, directory: URL) throws {
        let cases: [(name: String, file: String, make: (URL) throws -> Void)] = [
            ("1,000,000 scenes (a 300 MB file, sparse)", "million.json", { url in
                FileManager.default.createFile(atPath: url.path, contents: Data("{\"schema_version\": 1, \"id\": \"m\", \"scenes\": [".utf8))
                let handle = try FileHandle(forWritingTo: url)
                try handle.truncate(atOffset: 300 << 20)
                try handle.close()
            }),
            ("100 MB of JSON (300,000 scenes, chain)", "hundred.json", { url in
                try Data(TemplateFactory.text(scenes: 300_000, shape: .chain, seed: 3).utf8).write(to: url)
            }),
            ("minified JSON, 100,000 errors on one line", "errors.json", { url in
                var text = #"{"schema_version":1,"id":"e","scenes":["#
                text += (0..<100_000).map { #"{"id":"s\#($0)","colour":"red"}"# }.joined(separator: ",")
                text += "]}"
                try Data(text.utf8).write(to: url)
            }),
            ("2 KB YAML alias bomb with long plain scalars", "bomb.yaml", { url in
                var text = "a: &a [" + Array(repeating: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", count: 10).joined(separator: ", ") + "]\n"
                var previous = "a"
                for level in "bcdefghij" {
                    text += "\(level): &\(level) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
                    previous = String(level)
                }
                text += "schema_version: 1\nid: bomb\nscenes: *j\n"
                try Data(text.utf8).write(to: url)
            }),
            ("10,000 scenes all reusing scene 1's first frame", "reuse.json", { url in
                var scenes = [#"{"id": "s0", "prompt": "p"}"#]
                scenes += (1..<10_000).map { #"{"id": "s\#($0)", "prompt": "p", "first_frame": {"source": "first_frame_of", "scene": "s0"}}"# }
                try Data(#"{"schema_version": 1, "id": "reuse", "scenes": [\#(scenes.joined(separator: ","))]}"#.utf8).write(to: url)
            }),
            ("a chain of 100,000 continuity edges", "continuity.json", { url in
                var scenes: [String] = []
                for i in 0..<100_000 {
                    let first = i == 0 ? "" : #", "first_frame": {"source": "last_frame_of", "scene": "s\#(i - 1)"}"#
                    scenes.append(#"{"id": "s\#(i)", "prompt": "p", "last_frame": {"source": "generate"}\#(first)}"#)
                }
                try Data(#"{"schema_version": 1, "id": "continuity", "scenes": [\#(scenes.joined(separator: ","))]}"#.utf8).write(to: url)
            }),
            ("an id of 1 MB", "long-id.json", { url in
                try Data(#"{"schema_version": 1, "id": "t", "scenes": [{"id": "\#(String(repeating: "a", count: 1 << 20))"}]}"#.utf8).write(to: url)
            }),
            ("a prompt of 1 MB", "long-prompt.json", { url in
                try Data(#"{"schema_version": 1, "id": "t", "scenes": [{"id": "a", "prompt": "\#(String(repeating: "word ", count: 1 << 18))"}]}"#.utf8).write(to: url)
            }),
        ]
        print(pad("input", 50) + pad("command", 10) + pad("exit", 6) + pad("seconds", 9) + pad("peak MB", 9) + "says")
        for c in cases {
            let url = directory.appendingPathComponent(c.file)
            try c.make(url)
            for command in ["validate", "plan"] {
                let (measure, said) = try measureSaying(binary, [command, url.path])
                print(pad(c.name, 50) + pad(command, 10) + pad("\(measure.status)", 6) + pad(String(format: "%.2f", measure.seconds), 9)
                      + pad(String(format: "%.0f", measure.peakMB), 9) + said)
            }
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// Runs once, keeping the first line of standard error for the table.
    static func measureSaying(_ binary: URL, _ arguments: [String]) throws -> (CommandBenchmarks.Measure, String) {
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-bench-stderr-\(getpid())")
        defer { try? FileManager.default.removeItem(at: errors) }
        let measure = try CommandBenchmarks.measure(binary, arguments, stderr: errors)
        let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        var line = text.split(separator: "\n").first.map(String.init) ?? ""
        if let colon = line.range(of: ": ", options: [], range: line.index(line.startIndex, offsetBy: min(line.count, 1))..<line.endIndex),
           line.hasPrefix("/") { line = String(line[colon.upperBound...]) }
        let count = text.split(separator: "\n").count
        return (measure, String(line.prefix(90)) + (count > 1 ? " (+\(count - 1) lines)" : ""))
    }
}
