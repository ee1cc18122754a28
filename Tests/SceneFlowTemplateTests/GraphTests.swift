import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

@Suite(.timeLimit(.minutes(2))) struct SceneGraphTests {
    func graph(_ path: String) throws -> SceneGraph {
        let loaded = try LoadedTemplate.load(path: packageRoot.appendingPathComponent(path).path)
        return SceneGraph(template: try #require(loaded.template))
    }

    func edges(_ g: SceneGraph) -> Set<String> {
        Set(g.edges.map { "\(g.nodes[$0.from].id) -\($0.type.rawValue)-> \(g.nodes[$0.to].id)" })
    }

    /// The node and edge list of template-v1's example, written out by hand from the spec.
    @Test func unboxingMatchesTheSpec() throws {
        let g = try graph("samples/unboxing.json")
        #expect(g.nodes.map(\.id) == ["avatar:maya", "background:kitchen", "asset:product_1",
                                      "hook.first_frame", "hook.last_frame", "hook.audio", "hook.video",
                                      "demo.first_frame", "demo.video",
                                      "reaction.first_frame", "reaction.audio", "reaction.video", "final.video"])
        #expect(edges(g) == [
            "avatar:maya -avatar-> hook.first_frame", "background:kitchen -background-> hook.first_frame",
            "asset:product_1 -product_image-> hook.first_frame",
            "hook.first_frame -first_frame-> hook.last_frame", "asset:product_1 -product_image-> hook.last_frame",
            "hook.first_frame -first_frame-> hook.video", "hook.last_frame -last_frame-> hook.video", "hook.audio -audio-> hook.video",
            "hook.last_frame -continuity-> demo.first_frame", "demo.first_frame -first_frame-> demo.video",
            "hook.first_frame -camera_angle-> reaction.first_frame", "reaction.first_frame -first_frame-> reaction.video",
            "reaction.audio -audio-> reaction.video",
            "hook.video -clip-> final.video", "demo.video -clip-> final.video", "reaction.video -clip-> final.video",
        ])
        #expect(g["demo.first_frame"]?.reuses == true && g["demo.first_frame"]?.generates == false)
        #expect(g["reaction.first_frame"]?.job == .cameraAngle && g["reaction.first_frame"]?.camera == "close-up, from the left")
        #expect(g["demo.audio"] == nil, "a non-speaking scene has no audio node")
    }

    @Test func productOnlyHasNoAvatarAndTypedAssetEdges() throws {
        let g = try graph("samples/product-only.json")
        #expect(!g.nodes.contains { $0.kind == .avatar })
        let e = edges(g)
        #expect(e.contains("asset:hero -product_image-> reveal.first_frame"))
        #expect(e.contains("asset:demo_clip -product_video-> spin.video"), "a product video feeds the clip, not a frame")
        #expect(e.contains("reveal.first_frame -reuse-> outro.first_frame"))
        #expect(e.contains("reveal.first_frame -camera_angle-> spin.first_frame"))
        #expect(g["reveal.video"]?.model == "fal-ai/veo3.1/image-to-video")
        #expect(g["reveal.first_frame"]?.model == "gemini-2.5-flash-image")
    }

    @Test func testimonialUsesLogoAndSizeReference() throws {
        let g = try graph("samples/testimonial.yaml")
        let e = edges(g)
        #expect(e.contains("asset:brand_logo -logo-> end-card.first_frame"))
        #expect(e.contains("asset:size_coin -reference_image-> product.first_frame"))
        #expect(e.contains("product.last_frame -continuity-> detail.first_frame"))
        #expect(g["problem.first_frame"]?.model == "fal-ai/nano-banana/edit")
        #expect(g.nodes.count == 24)
    }

    @Test func descendantsAreWhatReruns() throws {
        let g = try graph("samples/unboxing.json")
        let ids = { (set: Set<Int>) in Set(set.map { g.nodes[$0].id }) }
        #expect(ids(g.descendants(of: g.indexByID["hook.last_frame"]!)) == ["hook.video", "demo.first_frame", "demo.video", "final.video"])
        #expect(ids(g.ancestors(of: g.indexByID["demo.video"]!)) == ["demo.first_frame", "hook.last_frame", "hook.first_frame",
                                                                        "avatar:maya", "background:kitchen", "asset:product_1"])
    }
}

@Suite(.timeLimit(.minutes(2))) struct GraphAlgorithmsTests {
    //  0 → 2, 1 → 2, 2 → 3, 1 → 4
    let dag: [[Int]] = [[2], [2, 4], [3], [], []]

    @Test func topologicalOrderBreaksTiesByIndex() {
        #expect(GraphAlgorithms.topologicalOrder(count: 5) { dag[$0] } == [0, 1, 2, 3, 4])
        let reversedIndices: [[Int]] = [[], [0], [0]]
        #expect(GraphAlgorithms.topologicalOrder(count: 3) { reversedIndices[$0] } == [1, 2, 0])
    }

    @Test func cycleIsReportedAsAFullPath() {
        let g: [[Int]] = [[1], [2], [0, 3], [], [4]]
        #expect(GraphAlgorithms.topologicalOrder(count: 5) { g[$0] } == nil)
        #expect(GraphAlgorithms.cycles(count: 5) { g[$0] } == [[0, 1, 2], [4]])
    }

    @Test func wavesAndCriticalPath() {
        let order = GraphAlgorithms.topologicalOrder(count: 5) { dag[$0] }!
        #expect(GraphAlgorithms.waves(order: order, count: 5) { dag[$0] } == [[0, 1], [2, 4], [3]])
        let weights = [1.0, 5.0, 2.0, 1.0, 10.0]
        let critical = GraphAlgorithms.criticalPath(order: order, count: 5, weight: { weights[$0] }) { dag[$0] }
        #expect(critical.path == [1, 4] && critical.length == 15)
        #expect(critical.remaining == [4, 15, 3, 1, 10])
    }

    @Test func deepChainsDoNotRecurse() {
        let n = 200_000
        let chain: (Int) -> [Int] = { $0 + 1 < n ? [$0 + 1] : [] }
        #expect(GraphAlgorithms.topologicalOrder(count: n, successors: chain)?.count == n)
        #expect(GraphAlgorithms.cycles(count: n, successors: chain).isEmpty)
        let ring: (Int) -> [Int] = { [($0 + 1) % n] }
        #expect(GraphAlgorithms.cycles(count: n, successors: ring).first?.count == n)
    }
}

@Suite(.timeLimit(.minutes(2))) struct PlannerTests {
    @Test func perProviderLimitsBoundTheMakespan() throws {
        // Ten independent 5 s speaking scenes' audio on ElevenLabs, limit 2: audio alone takes five rounds.
        var scenes: [String] = []
        for i in 0..<10 { scenes.append(#"{"id": "s\#(i)", "dialogue": "\#(String(repeating: "x", count: 100))"}"#) }
        let loaded = parse(#"{"schema_version": 1, "id": "t", "scenes": [\#(scenes.joined(separator: ","))]}"#)
        let graph = SceneGraph(template: try #require(loaded.template))
        let limited = try #require(Planner.plan(graph, limits: RunLimits(concurrency: 50, providerLimits: [.elevenlabs: 2])))
        let audio = limited.jobs.filter { $0.provider == .elevenlabs }
        #expect(audio.count == 10)
        // Never more than 2 ElevenLabs jobs overlap.
        for job in audio {
            let overlapping = audio.filter { $0.start < job.finish && job.start < $0.finish }.count
            #expect(overlapping <= 2)
        }
        let free = try #require(Planner.plan(graph, limits: RunLimits(concurrency: 50, providerLimits: [.elevenlabs: 10])))
        #expect(limited.makespan >= free.makespan)
        #expect(limited.makespan >= limited.lowerBound - 1e-9 && free.makespan >= free.lowerBound - 1e-9)
    }

    @Test func planOfTheUnboxingSample() throws {
        let loaded = try LoadedTemplate.load(path: packageRoot.appendingPathComponent("samples/unboxing.json").path)
        let template = try #require(loaded.template)
        let plan = try #require(Planner.plan(SceneGraph(template: template)))
        let ids = { (nodes: [Int]) in nodes.map { plan.graph.nodes[$0].id } }
        #expect(ids(plan.criticalPath) == ["hook.first_frame", "hook.last_frame", "hook.video", "final.video"])
        #expect(plan.generationCount == 9)
        #expect(plan.providers.map(\.provider) == [.fal, .elevenlabs, .local])
        // Three frames at $0.028 and three 5 s Kling clips at $0.07/s.
        let fal = try #require(plan.providers.first { $0.provider == .fal })
        #expect(fal.cost == Money(dollars: 0.028) * 3 + Money(dollars: 0.35) * 3)
        #expect(abs(plan.makespan - plan.criticalSeconds) < 1e-9, "with no limit binding, the plan is the critical path")
    }
}
