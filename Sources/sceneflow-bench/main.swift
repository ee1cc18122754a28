import Foundation
import SceneFlowBasics
import SceneFlowGraphviz
import SceneFlowProcess
import SceneFlowRun
import SceneFlowTemplate
import SceneFlowTestSupport

// `swift run -c release sceneflow-bench [section...]`: prints the speed figures the issues ask
// for. Sections: validate, graph, render, scheduler, batch, makespan, local, providers (default: all);
// the stress sections children and batch-stress, the store's backends (store), the team queue (queue), and the whole-process sections commands,
// growth, hostile and serve (they start .build/release/sceneflow), run only when named. Figures are medians of several runs, in
// milliseconds, on whatever machine runs this; `docs/benchmarks.md` records this project's machine's.

// `sceneflow-bench generate SCENES [bench|chain|random] [SEED] [json|yaml] DIR`: writes a generated
// template (and its images) into DIR and prints its path, for trying commands on inputs of any size.
if CommandLine.arguments.dropFirst().first == "generate" {
    var args = Array(CommandLine.arguments.dropFirst(2))
    let directory = URL(fileURLWithPath: args.removeLast())
    let scenes = Int(args.first ?? "") ?? 60
    let shape = args.count > 1 ? TemplateFactory.Shape(rawValue: args[1]) ?? .bench : .bench
    let seed = args.count > 2 ? UInt64(args[2]) ?? 1 : 1
    let format = args.count > 3 ? TemplateFactory.Format(rawValue: args[3]) ?? .json : .json
    print(try TemplateFactory.write(scenes: scenes, shape: shape, seed: seed, format: format, into: directory).path)
    exit(0)
}

// `sceneflow-bench queue-worker URL NAME CONCURRENCY LEASE`: one worker process of the queue benchmark.
if CommandLine.arguments.dropFirst().first == "queue-worker" {
    try await QueueBenchmarks.worker(Array(CommandLine.arguments.dropFirst(2)))
}
if CommandLine.arguments.dropFirst().first == "queue-peer-enqueue" {
    try await QueueBenchmarks.enqueue(Array(CommandLine.arguments.dropFirst(2)))
}
if CommandLine.arguments.dropFirst().first == "queue-peer-spec" {
    try QueueBenchmarks.peerSpec()
}

let requested = Set(CommandLine.arguments.dropFirst())
func wants(_ section: String) -> Bool { requested.isEmpty || requested.contains(section) }

let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-bench-\(getpid())")
try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: workDirectory) }

if wants("validate") {
    print("## Load + validate (JSON template, median of runs)")
    print(pad("scenes", 10) + pad("file", 12) + pad("load ms", 12) + pad("validate ms", 14) + pad("total ms", 12) + "µs/scene")
    var perScene: [Double] = []
    for scenes in [1_000, 10_000, 100_000] {
        let url = try BenchTemplates.write(scenes: scenes, into: workDirectory)
        let bytes = [UInt8](try Data(contentsOf: url))
        let runs = scenes >= 100_000 ? 3 : 7
        var loadTimes: [Double] = [], validateTimes: [Double] = []
        for _ in 0..<runs {
            var loaded: LoadedTemplate!
            loadTimes.append(milliseconds { loaded = LoadedTemplate.parse(bytes: bytes, path: url.path) })
            var diagnostics: [Diagnostic] = []
            validateTimes.append(milliseconds { diagnostics = loaded.validate() })
            precondition(!diagnostics.hasErrors, "benchmark template must be valid: \(diagnostics.prefix(3).map(\.textLine))")
        }
        let load = median(loadTimes), validate = median(validateTimes)
        perScene.append((load + validate) * 1000 / Double(scenes))
        print(pad("\(scenes)", 10) + pad(String(format: "%.1f MB", Double(bytes.count) / 1e6), 12)
              + pad(String(format: "%.1f", load), 12) + pad(String(format: "%.1f", validate), 14)
              + pad(String(format: "%.1f", load + validate), 12) + String(format: "%.2f", perScene.last!))
    }
    print(String(format: "growth 1k→100k: per-scene cost ×%.2f (1.00 = perfectly linear)\n", perScene.last! / perScene.first!))
}

if wants("graph") {
    print("## Graph build + topological order + critical path")
    print(pad("scenes", 10) + pad("nodes", 10) + pad("edges", 10) + pad("build ms", 12) + pad("topo ms", 10) + pad("critical ms", 13) + "total ms")
    for scenes in [10_000, 100_000] {
        let url = try BenchTemplates.write(scenes: scenes, into: workDirectory)
        let loaded = LoadedTemplate.parse(bytes: [UInt8](try Data(contentsOf: url)), path: url.path)
        let template = loaded.template!
        var build: [Double] = [], topo: [Double] = [], critical: [Double] = []
        var graph: SceneGraph!
        for _ in 0..<5 {
            build.append(milliseconds { graph = SceneGraph(template: template) })
            var order: [Int] = []
            topo.append(milliseconds { order = graph.topologicalOrder()! })
            critical.append(milliseconds { _ = graph.criticalPath(order: order) })
        }
        let b = median(build), t = median(topo), c = median(critical)
        print(pad("\(scenes)", 10) + pad("\(graph.nodes.count)", 10) + pad("\(graph.edges.count)", 10)
              + pad(String(format: "%.1f", b), 12) + pad(String(format: "%.1f", t), 10) + pad(String(format: "%.1f", c), 13)
              + String(format: "%.1f", b + t + c))
    }
    print("")
}

if wants("render") {
    print("## Diagram rendering: 200-scene template, SVG (median of 5)")
    let url = try BenchTemplates.write(scenes: 200, into: workDirectory)
    let loaded = LoadedTemplate.parse(bytes: [UInt8](try Data(contentsOf: url)), path: url.path)
    let template = loaded.template!
    let graph = SceneGraph(template: template)
    let diagram = DiagramBuilder(graph: graph, template: template).build()
    let dot = String(decoding: try await GraphvizRenderer.shared.render(diagram, format: .dot), as: UTF8.self)
    var inProcess: [Double] = [], fromDOT: [Double] = [], external: [Double] = []
    for _ in 0..<5 {
        inProcess.append(try await milliseconds { _ = try await GraphvizRenderer.shared.render(diagram, format: .svg) })
        fromDOT.append(try await milliseconds { _ = try await GraphvizRenderer.shared.render(dot: dot, format: .svg) })
        external.append(try await milliseconds(dotCommandOn: dot))
    }
    print("nodes \(graph.nodes.count), edges \(graph.edges.count), DOT \(dot.utf8.count / 1024) KiB")
    print(String(format: "in-process (libcgraph objects → libgvc): %.0f ms", median(inProcess)))
    print(String(format: "in-process (same DOT via agmemread):      %.0f ms", median(fromDOT)))
    print(String(format: "dot -Tsvg subprocess on the same DOT:     %.0f ms", median(external)))
    print(String(format: "in-process / dot: %.2f (below 1 = faster)\n", median(inProcess) / median(external)))
}

if wants("scheduler") {
    print("## Scheduler overhead (instant generator, in-memory cache, median of 3)")
    try await RunBenchmarks.overhead(scenes: Int(ProcessInfo.processInfo.environment["SCENEFLOW_BENCH_SCENES"] ?? "") ?? 37_037, directory: workDirectory)
    print("")
}

if wants("batch") {
    print("## Batch scheduling (instant generator, shared limits)")
    try await RunBenchmarks.batch(products: 1_000, directory: workDirectory)
    print("")
}

if wants("makespan") {
    print("## Makespan with registry latencies ÷ 200 (simulated generator), default limits")
    try await RunBenchmarks.makespan(speed: 200, directory: workDirectory)
    print("")
}

if wants("local") {
    print("## Local engine (ffmpeg + espeak-ng), 720 px, real media")
    try await RunBenchmarks.local(directory: workDirectory)
    print("")
}

if wants("providers") {
    print("## Remote providers: 200 concurrent fal jobs against the loopback fal server")
    try await ProviderBenchmarks.fal(jobs: 200, directory: workDirectory)
    print("")
}

// `sceneflow-bench stages FILE`: one template through each stage, with time and memory.
if CommandLine.arguments.dropFirst().first == "stages", CommandLine.arguments.count > 2 {
    try CommandBenchmarks.stages(CommandLine.arguments[2])
    exit(0)
}

if requested.contains("commands") || requested.contains("growth") || requested.contains("hostile") {
    let binary = RunBenchmarks.packageRoot().appendingPathComponent(".build/release/sceneflow")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        print("build it first: swift build -c release --product sceneflow")
        exit(1)
    }
    if requested.contains("commands") {
        print("## Whole process: release sceneflow on generated templates (median of 3; peak RSS by GNU time)")
        try CommandBenchmarks.commands(binary: binary, shapes: [.chain, .random, .bench], runs: 3, directory: workDirectory)
        print("")
    }
    if requested.contains("hostile") {
        print("## Whole process: hostile inputs (each must end, with a clear error or a result, in bounded memory)")
        try HostileBenchmarks.run(binary: binary, directory: workDirectory)
        print("")
    }
    if requested.contains("growth") {
        print("## Whole process: growth from 1,000 to 100,000 scenes (chain shape, median of 3)")
        try CommandBenchmarks.growth(binary: binary, shape: .chain, directory: workDirectory)
        print("")
    }
}

if requested.contains("serve") {
    print("## sceneflow serve under load (release build, offline, 50 concurrent clients)")
    let binary = RunBenchmarks.packageRoot().appendingPathComponent(".build/release/sceneflow")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        print("build it first: swift build -c release --product sceneflow")
        exit(1)
    }
    try await ServeBenchmarks.run(binary: binary, directory: workDirectory)
    print("")
}

if requested.contains("store") {
    print("## The store on each backend (embedded SQLite; team mode's PostgreSQL with S3 or a shared folder)")
    try await StoreBenchmarks.run(directory: workDirectory)
    print("")
}

if requested.contains("queue") {
    print("## The team's job queue in PostgreSQL: worker processes draining it")
    try await QueueBenchmarks.run(directory: workDirectory)
    print("")
}

if requested.contains("children") {
    print("## Child processes: 5,000 short children through ChildProcess, 32 in flight (every tenth cancelled mid-run)")
    try await ProcessBenchmarks.children(count: 5_000, inFlight: 32)
    print("")
}

// `sceneflow-bench soak [ROUNDS]`: many rounds of concurrent commands on one workspace, with
// the invariants checked after each (`WorkspaceSoak`, as `ConcurrencyInvariantTests` runs a few).
if requested.contains("soak") {
    let rounds = CommandLine.arguments.dropFirst().compactMap { Int($0) }.first ?? 50
    print("## Soak: \(rounds) rounds of 5 concurrent commands on one workspace (seed 23)")
    let folder = workDirectory.appendingPathComponent("soak")
    let soak = WorkspaceSoak(folder: folder)
    var random = WorkspaceSoak.Seeded(seed: 23)
    var total = 0, failed = 0
    let started = Date()
    for index in 0..<rounds {
        let (operations, violations) = try await soak.round(index, width: 5, random: &random)
        total += operations.count
        if !violations.isEmpty {
            failed += 1
            print("round \(index): \(operations.joined(separator: " | "))")
            for violation in violations { print("  VIOLATION \(violation)") }
        }
    }
    print(String(format: "%d commands in %d rounds, %d rounds with violations, %.0f s\n", total, rounds, failed, Date().timeIntervalSince(started)))
}

if requested.contains("batch-stress") {
    print("## sceneflow batch: 30 products offline, 10 runs in a row (fresh workspace each)")
    let binary = RunBenchmarks.packageRoot().appendingPathComponent(".build/release/sceneflow")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        print("build it first: swift build -c release --product sceneflow")
        exit(1)
    }
    try await ProcessBenchmarks.batch(sceneflow: binary, products: 30, runs: 10, directory: workDirectory)
    print("")
}

// MARK: helpers

/// Wall time of `dot -Tsvg` reading `dot` from a file, output discarded.
func milliseconds(dotCommandOn dot: String) async throws -> Double {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-bench-\(UUID().uuidString).gv")
    try Data(dot.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let start = DispatchTime.now().uptimeNanoseconds
    _ = try await ChildProcess.run(Command(URL(fileURLWithPath: "/usr/bin/dot"), arguments: ["-Tsvg", "-o", "/dev/null", file.path]))
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func milliseconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func milliseconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
