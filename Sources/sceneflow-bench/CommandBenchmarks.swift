import Foundation
import SceneFlowBasics
import SceneFlowProcess
import SceneFlowRun
import SceneFlowTemplate
import SceneFlowTestSupport

/// Whole-process figures: the release `sceneflow` started as a user starts it, on generated
/// templates of several shapes and sizes, timed from spawn to exit, with the peak resident memory
/// GNU `time` reports for it (Debian's `time` package). A child spawned by this process directly
/// would report this process's own high-water mark when larger (Linux carries it across `exec`),
/// so the measured command runs under `/usr/bin/time`, which is small. And a per-stage breakdown
/// of one template in this process (time and resident memory after each stage).
enum CommandBenchmarks {
    struct Measure {
        var seconds: Double
        var peakMB: Double
        var status: Int32
    }

    /// Runs `binary arguments` once (standard output discarded, standard error to `stderr` or
    /// discarded) and measures it.
    static func measure(_ binary: URL, _ arguments: [String], stderr: URL? = nil) throws -> Measure {
        var pid: pid_t = 0
        let devnull = open("/dev/null", O_WRONLY)
        defer { close(devnull) }
        let errors = stderr.map { open($0.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } ?? devnull
        defer { if errors != devnull { close(errors) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, devnull, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        let peakFile = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-bench-peak-\(getpid())")
        defer { try? FileManager.default.removeItem(at: peakFile) }
        let timer = "/usr/bin/time"
        guard FileManager.default.isExecutableFile(atPath: timer) else {
            throw TestSupportError("whole-process figures need GNU time: apt-get install time")
        }
        let command = [timer, "-f", "%M", "-o", peakFile.path, binary.path] + arguments
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, timer, &actions, nil, argv, environ) == 0 else { throw TestSupportError("cannot start \(binary.path)") }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        // GNU time writes "Command exited with non-zero status N" or "terminated by signal" first.
        let kilobytes = (try? String(contentsOf: peakFile, encoding: .utf8))?
            .split(separator: "\n").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? .nan
        return Measure(seconds: seconds, peakMB: kilobytes / 1024, status: (status >> 8) & 0xFF)
    }

    /// The table: validate 10k, plan 100k (text and JSON), graph 1,000 (both views),
    /// on each shape; median of `runs` runs.
    static func commands(binary: URL, shapes: [TemplateFactory.Shape], runs: Int, directory: URL) throws {
        let cases: [(label: String, scenes: Int, arguments: (String) -> [String], goal: String)] = [
            ("validate", 10_000, { ["validate", $0] }, "< 0.3 s"),
            ("plan", 100_000, { ["plan", $0] }, "< 3 s, < 400 MB"),
            ("plan --format json", 100_000, { ["plan", "--format", "json", $0] }, "< 5 s"),
            ("graph (overview) -o svg", 1_000, { ["graph", $0, "-o", directory.appendingPathComponent("g.svg").path] }, "< 5 s"),
            ("graph --view detail -o svg", 1_000, { ["graph", $0, "--view", "detail", "-o", directory.appendingPathComponent("g.svg").path] }, "< 5 s"),
            ("graph --view detail -o png", 1_000, { ["graph", $0, "--view", "detail", "-o", directory.appendingPathComponent("g.png").path] }, "< 5 s"),
        ]
        print(pad("command", 30) + pad("scenes", 9) + pad("shape", 8) + pad("median s", 10) + pad("peak MB", 9) + "goal")
        for c in cases {
            for shape in shapes {
                let template = try TemplateFactory.write(scenes: c.scenes, shape: shape, seed: 7, into: directory)
                var measures: [Measure] = []
                for _ in 0..<runs { measures.append(try measure(binary, c.arguments(template.path))) }
                let seconds = median(measures.map(\.seconds)), peak = measures.map(\.peakMB).max() ?? 0
                let failed = measures.contains { $0.status != 0 } ? "  (exit \(measures.first { $0.status != 0 }!.status))" : ""
                print(pad(c.label, 30) + pad("\(c.scenes)", 9) + pad(shape.rawValue, 8) + pad(String(format: "%.3f", seconds), 10)
                      + pad(String(format: "%.0f", peak), 9) + c.goal + failed)
                try? FileManager.default.removeItem(at: template)
            }
        }
    }

    /// How `validate` and `plan` grow from 1,000 to 100,000 scenes (whole process).
    static func growth(binary: URL, shape: TemplateFactory.Shape, directory: URL) throws {
        print(pad("scenes", 10) + pad("validate s", 12) + pad("µs/scene", 10) + pad("plan s", 10) + pad("µs/scene", 10) + "plan peak MB")
        var first: (Double, Double)?
        var last: (Double, Double) = (0, 0)
        for scenes in [1_000, 10_000, 100_000] {
            let template = try TemplateFactory.write(scenes: scenes, shape: shape, seed: 7, into: directory)
            let validate = median((0..<3).map { _ in (try? measure(binary, ["validate", template.path]).seconds) ?? .nan })
            let plans = try (0..<3).map { _ in try measure(binary, ["plan", template.path]) }
            let plan = median(plans.map(\.seconds))
            let perScene = (validate * 1e6 / Double(scenes), plan * 1e6 / Double(scenes))
            if first == nil { first = perScene }
            last = perScene
            print(pad("\(scenes)", 10) + pad(String(format: "%.3f", validate), 12) + pad(String(format: "%.1f", perScene.0), 10)
                  + pad(String(format: "%.3f", plan), 10) + pad(String(format: "%.1f", perScene.1), 10) + String(format: "%.0f", plans.map(\.peakMB).max() ?? 0))
            try? FileManager.default.removeItem(at: template)
        }
        if let first {
            print(String(format: "per-scene cost 1k→100k: validate ×%.2f, plan ×%.2f (1.00 = linear; the 1k figure includes process start)",
                         last.0 / first.0, last.1 / first.1))
        }
    }

    /// One template through each stage in this process: time and resident memory after it.
    static func stages(_ path: String) throws {
        func rss() -> Double {
            let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
            let pages = Double(statm.split(separator: " ").dropFirst().first ?? "0") ?? 0
            return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1e6
        }
        func peak() -> Double {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1000
        }
        var clock = DispatchTime.now().uptimeNanoseconds
        func stage(_ name: String) {
            let now = DispatchTime.now().uptimeNanoseconds
            print(pad(name, 34) + pad(String(format: "%.0f ms", Double(now - clock) / 1e6), 12) + String(format: "RSS %.0f MB, peak %.0f MB", rss(), peak()))
            clock = DispatchTime.now().uptimeNanoseconds
        }
        print(pad("stage", 34) + pad("time", 12) + "memory")
        let bytes = try InputFileError.readFile(path)
        stage("read \(bytes.count / 1_000_000) MB")
        let loaded = LoadedTemplate.parse(bytes: bytes, path: path)
        stage("parse + decode (Template; tree freed)")
        let template = loaded.template!
        let context = ValidationContext(template: template, templateDirectory: URL(fileURLWithPath: path).deletingLastPathComponent())
        stage("context + scene graph (\(context.graph.nodes.count) nodes × \(MemoryLayout<SceneGraph.Node>.stride) B, \(context.graph.edges.count) edges)")
        let findings = Validator().validate(context)
        stage("rules (\(findings.all.count) findings)")
        let plan = Planner.plan(context.graph)!
        stage("plan")
        let text = PlanReport.text(plan, title: path)
        stage("plan text (\(text.utf8.count / 1_000_000) MB)")
        var jsonBytes = 0
        PlanReport.json(plan) { jsonBytes += $0.count }
        stage("plan JSON (\(jsonBytes / 1_000_000) MB, streamed)")
    }
}
