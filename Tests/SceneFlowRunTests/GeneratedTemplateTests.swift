import Foundation
import PropertyBased
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import Testing

/// Templates we did not write: 1 to 300 scenes of every shape, in JSON and YAML, drawn at random
/// (a failure prints the seed that reproduces it). Each goes through everything that does not
/// need a child process: loading, validation, the graph, both diagram views, the plan, and a
/// run on a test generator, with the invariants a user relies on.
@Suite(.timeLimit(.minutes(6)), .shrinking(false)) struct GeneratedTemplateTests {
    static let cases = Gen.int(in: 1...300)

    @Test func everyGeneratedTemplateValidatesPlansDrawsAndRuns() async throws {
        await propertyCheck(count: 30, input: Self.cases, Gen.element(of: TemplateFactory.Shape.allCases),
                            Gen.element(of: TemplateFactory.Format.allCases), Gen.int(in: 0...1_000_000)) { scenes, shape, format, seed in
            try await withDeadline(seconds: 120, "\(scenes) scenes, \(shape!), \(format!), seed \(seed)") {
                try await check(scenes: scenes, shape: shape!, format: format!, seed: seed)
            }
        }
    }

    /// Cases that once failed (Fixtures/generated-regressions.json), kept so they never fail again.
    @Test(arguments: Regression.all) func regression(_ r: Regression) async throws {
        try await withDeadline(seconds: 120, r.testDescription) {
            try await check(scenes: r.scenes, shape: r.shape, format: r.format, seed: r.seed)
        }
    }

    func check(scenes: Int, shape: TemplateFactory.Shape, format: TemplateFactory.Format, seed: Int) async throws {
        do {
            let label = "\(scenes) scenes, \(shape), \(format), seed \(seed)"
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = try TemplateFactory.write(scenes: scenes, shape: shape, seed: UInt64(seed), format: format, into: dir)
            let loaded = try LoadedTemplate.load(path: path.path)
            let checked = try #require(CheckedTemplate(loaded), "\(label): does not decode")
            #expect(checked.isValid, "\(label): \(checked.diagnostics.map(\.message).prefix(3))")
            let graph = checked.graph
            #expect(graph.scenes.count == scenes, "\(label)")
            #expect(Set(graph.nodes.map(\.id)).count == graph.nodes.count, "\(label): node ids are unique")
            let order = try #require(graph.topologicalOrder(), "\(label): acyclic")
            var position = [Int](repeating: 0, count: graph.nodes.count)
            for (k, i) in order.enumerated() { position[i] = k }
            for i in graph.nodes.indices { for p in graph.predecessors[i] { #expect(position[p] < position[i], "\(label)") } }

            // Diagrams: the detail view has every node, the overview every scene, in playback order.
            let detail = DiagramBuilder(graph: graph, template: checked.template, options: options(.detail)).build()
            let drawn = Set(detail.nodes.map(\.id))
            // Inputs are nodes of their own up to 20 scenes; beyond, each scene's inputs are one
            // note (its tooltip names them all), so no input edge sweeps across the picture.
            let notes = detail.nodes.filter { $0.id.hasSuffix(".inputs") || $0.id == "unused.inputs" }.compactMap(\.tooltip).joined(separator: "\n")
            let missing = graph.nodes.filter { !drawn.contains($0.id) && !($0.kind.isInput && notes.contains($0.id)) }.map(\.id)
            #expect(missing.isEmpty, "\(label): missing from the detail diagram: \(missing.prefix(5))")
            let overview = DiagramBuilder(graph: graph, template: checked.template, options: options(.overview)).build()
            let cards = overview.nodes.filter { $0.id.hasPrefix("scene:") }
            #expect(cards.map(\.id) == graph.scenes.map { "scene:\($0.id)" }, "\(label): one card per scene")
            if overview.layout == .fixed {
                let ys = cards.compactMap(\.position?.y)
                #expect(ys.count == cards.count && zip(ys, ys.dropFirst()).allSatisfy { $0 != $1 }, "\(label): cards have distinct rows")
                #expect(zip(ys, ys.dropFirst()).allSatisfy { $0 > $1 } || zip(ys, ys.dropFirst()).allSatisfy { $0 < $1 }, "\(label): cards in playback order")
            }

            // The plan: every job once, after what it needs; waves partition the jobs.
            let plan = try #require(Planner.plan(graph), "\(label): no plan")
            let jobs = graph.nodes.indices.filter { graph.nodes[$0].generates }
            #expect(plan.jobs.filter { $0.provider != nil }.count == jobs.count, "\(label)")
            #expect(plan.waves.flatMap { $0 }.sorted() == plan.order.sorted(), "\(label)")
            let planned = Dictionary(plan.jobs.filter { $0.provider != nil }.map { ($0.node, $0) }) { a, _ in a }
            for job in planned.values {
                for p in graph.predecessors[job.node] {
                    if let before = planned[p] {
                        #expect(before.finish <= job.start + 1e-9, "\(label): \(job.id) starts before \(before.id) ends")
                    }
                }
            }
            #expect(plan.makespan >= plan.criticalSeconds - 1e-6, "\(label)")

            // A run on a test generator: everything made, the events well-formed.
            let lines = EventLines()
            let scheduler = Scheduler(checked: checked, inputs: try inputs(dir), cache: MemoryOutputCache(), options: quick(),
                                   folder: nil, workspace: nil, generators: { _ in TestGenerator(recorder: Recorder()) },
                                   events: { lines.add($0.jsonLine(runID: "r")) })
            let report = await scheduler.run()
            #expect(report.status == .succeeded, "\(label): \(report.nodes.filter { $0.status == .failed }.prefix(2).map { "\($0.id): \($0.error ?? "")" })")
            #expect(report.counts.made + report.counts.cached == report.counts.jobs, "\(label): \(report.counts)")
            #expect(lines.all.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] }, "\(label)")
            #expect(lines.all.first?.contains("\"run_started\"") == true || lines.all.first?.contains("\"started\"") == true)
        }
    }

    struct Regression: Decodable, Sendable, CustomTestStringConvertible {
        var scenes: Int
        var shape: TemplateFactory.Shape
        var format: TemplateFactory.Format
        var seed: Int
        var found: String
        var testDescription: String { "\(scenes) scenes, \(shape), \(format), seed \(seed): \(found)" }

        static var all: [Regression] {
            let url = packageRoot.appendingPathComponent("Tests/SceneFlowRunTests/Fixtures/generated-regressions.json")
            return (try? JSONDecoder().decode([Regression].self, from: Data(contentsOf: url))) ?? []
        }
    }

    func options(_ view: DiagramBuilder.View) -> DiagramBuilder.Options {
        var o = DiagramBuilder.Options()
        o.view = view
        return o
    }

    func quick() -> RunOptions {
        var o = RunOptions()
        o.retry = quickRetries()
        o.reportInterval = 3600
        return o
    }

    func inputs(_ dir: URL) throws -> HydrationInputs {
        var inputs = HydrationInputs()
        inputs.addArguments(try TemplateFactory.assets(in: dir))
        return inputs
    }
}

/// NDJSON lines collected from a run's events; thread-safe.
final class EventLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
