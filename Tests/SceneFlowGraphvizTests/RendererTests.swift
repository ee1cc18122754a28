import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowGraphviz
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func loadSample(_ path: String) throws -> (Template, SceneGraph) {
    let loaded = try LoadedTemplate.load(path: packageRoot.appendingPathComponent(path).path)
    let template = try #require(loaded.template)
    return (template, SceneGraph(template: template))
}

func diagram(_ path: String, options: DiagramBuilder.Options = .init()) throws -> Diagram {
    let (template, graph) = try loadSample(path)
    return DiagramBuilder(graph: graph, template: template, options: options).build()
}

/// Coordinates and sizes depend on the machine's font metrics; what a diagram *shows* does not.
func structure(ofSVG svg: String) -> String {
    svg.replacingOccurrences(of: #"-?\d+(\.\d+)?"#, with: "N", options: .regularExpression)
}

func numbers(_ s: String) -> [Double] {
    let regex = try! NSRegularExpression(pattern: #"-?\d+(\.\d+)?"#)
    return regex.matches(in: s, range: NSRange(s.startIndex..., in: s)).compactMap { Double(s[Range($0.range, in: s)!]) }
}

/// The drawing of each node, edge and cluster of an SVG, without Graphviz's element numbering,
/// sorted by its title (the node id, or `tail->head`).
func drawnElements(_ svg: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: #"<g id="[^"]*" class="(node|edge|cluster)">(.*?)</g>"#, options: [.dotMatchesLineSeparators])
    let range = NSRange(svg.startIndex..., in: svg)
    return regex.matches(in: svg, range: range).map { String(svg[Range($0.range(at: 2), in: svg)!]) }
        .sorted { title($0) < title($1) }
}

func title(_ element: String) -> String {
    guard let start = element.range(of: "<title>"), let end = element.range(of: "</title>") else { return element }
    return String(element[start.upperBound..<end.lowerBound])
}

@Suite(.serialized, .timeLimit(.minutes(5))) struct RendererTests {
    @Test("every format renders in-process", arguments: [DiagramFormat.svg, .png, .pdf, .dot])
    func rendersEveryFormat(_ format: DiagramFormat) async throws {
        let data = try await GraphvizRenderer.shared.render(try diagram("samples/unboxing.json"), format: format)
        let head = [UInt8](data.prefix(8))
        switch format {
        case .svg: #expect(String(decoding: data, as: UTF8.self).contains("<svg"))
        case .png: #expect(head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case .pdf: #expect(String(decoding: head.prefix(5), as: UTF8.self) == "%PDF-")
        case .dot: #expect(String(decoding: data, as: UTF8.self).hasPrefix("digraph"))
        case .json: break
        }
    }

    @Test func svgShowsEveryNodeWithItsModel() async throws {
        let svg = String(decoding: try await GraphvizRenderer.shared.render(try diagram("samples/unboxing.json"), format: .svg), as: UTF8.self)
        for id in ["hook.first_frame", "hook.last_frame", "demo.first_frame", "reaction.first_frame", "final.video", "avatar:maya"] {
            #expect(svg.contains(id.replacingOccurrences(of: "-", with: "&#45;")), "\(id) missing")
        }
        #expect(svg.contains("kling&#45;image/o1"))
        #expect(svg.contains("close&#45;up, from the left"), "the camera text labels the camera-angle edge")
        #expect(svg.contains("1 · hook") && svg.contains("3 · reaction"), "one cluster per scene, numbered in playback order")
    }

    @Test(.tags(.endToEnd)) func dotOutputRendersTheSameWithTheDotCommand() async throws {
        let d = try diagram("samples/testimonial.yaml")
        let dot = try await GraphvizRenderer.shared.render(d, format: .dot)
        let inProcess = String(decoding: try await GraphvizRenderer.shared.render(d, format: .svg), as: UTF8.self)
        // `dot` is used here only as an independent judge of our DOT text.
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("diagram.gv")
        try dot.write(to: file)
        let result = try await run("dot", ["-Tsvg", file.path])
        // The tooltips are SceneFlow's own post-processing of the SVG; dot writes plain names.
        let external = SVGTitles.apply(d.tooltips, to: result.stdout)
        #expect(result.status == 0)
        // Same picture: the same nodes, edges and clusters with the same shapes, colours and text,
        // at the same places. Coordinates may differ by a few points where dot's tie-breaks
        // depend on internal object ids (which `dot` takes from its own heap addresses).
        let ours = drawnElements(inProcess), theirs = drawnElements(external)
        #expect(ours.count == theirs.count && ours.count > 60)
        for (a, b) in zip(ours, theirs) {
            #expect(structure(ofSVG: a) == structure(ofSVG: b))
            // Nodes and clusters sit at the same places; an edge may be routed differently.
            guard !title(a).contains("&#45;&gt;") else { continue }
            let x = numbers(a), y = numbers(b)
            #expect(x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= 8 }, "\(a.prefix(80))")
        }
    }

    @Test func parallelRendersAreSerialisedAndSafe() async throws {
        let d = try diagram("samples/product-only.json")
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 { group.addTask { try await GraphvizRenderer.shared.render(d, format: .svg).count } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(sizes.count == 16 && Set(sizes).count == 1)
    }

    @Test("committed diagrams/ are up to date (run scripts/diagrams)", arguments: ["unboxing.json", "testimonial.yaml", "product-only.json"])
    func committedDiagramIsCurrent(_ sample: String) async throws {
        let svg = String(decoding: try await GraphvizRenderer.shared.render(try diagram("samples/\(sample)"), format: .svg), as: UTF8.self)
        let name = URL(fileURLWithPath: sample).deletingPathExtension().lastPathComponent
        let committed = try String(contentsOf: packageRoot.appendingPathComponent("diagrams/\(name).svg"), encoding: .utf8)
        #expect(structure(ofSVG: svg) == structure(ofSVG: committed), "diagrams/\(name).svg is stale: run scripts/diagrams")
    }
}

@Suite(.timeLimit(.minutes(2))) struct DiagramBuilderTests {
    @Test func runStatusesFillNodesWithATextMarker() throws {
        var options = DiagramBuilder.Options()
        options.statuses = ["hook.first_frame": .succeeded, "hook.last_frame": .failed, "demo.video": .blocked, "hook.audio": .cached]
        let d = try diagram("samples/unboxing.json", options: options)
        let node = { (id: String) in d.nodes.first { $0.id == id }!.attributes }
        #expect(node("hook.first_frame")["label"]?.hasSuffix("[OK]") == true)
        #expect(node("hook.last_frame")["label"]?.hasSuffix("[FAILED]") == true)
        #expect(node("demo.video")["label"]?.hasSuffix("[BLOCKED]") == true)
        #expect(node("hook.audio")["label"]?.hasSuffix("[CACHED]") == true)
        let fills = Set(["hook.first_frame", "hook.last_frame", "demo.video", "hook.audio"].map { node($0)["fillcolor"] })
        #expect(fills.count == 4, "each status has its own fill")
        #expect(d.nodes.first { $0.id == "legend" }?.attributes["label"]?.contains("[FAILED]") == true)
    }

    @Test func aRunShowsTheModelsItRanOn() throws {
        var options = DiagramBuilder.Options()
        options.models = ["hook.first_frame": "local/compositor", "hook.video": "local/ffmpeg-clip"]
        let d = try diagram("samples/unboxing.json", options: options)
        let label = { (id: String) in d.nodes.first { $0.id == id }!.attributes["label"] ?? "" }
        #expect(label("hook.first_frame").contains("local/compositor") && !label("hook.first_frame").contains("kling"))
        #expect(label("hook.video").contains("local/ffmpeg-clip"))
        #expect(label("reaction.video").contains("kling-video"), "nodes the run did not report keep the template's model")
    }

    @Test func criticalPathIsBoldAndStartsAtAJob() throws {
        let d = try diagram("samples/unboxing.json")
        let bold = d.edges.filter { $0.attributes["penwidth"] == "3.5" }.map { "\($0.from)->\($0.to)" }
        #expect(bold == ["hook.first_frame->hook.last_frame", "hook.last_frame->hook.video", "hook.video->final.video"])
    }

    @Test func cyclesAreHighlightedWhenDrawnAnyway() throws {
        let loaded = try LoadedTemplate.load(path: packageRoot.appendingPathComponent("samples/invalid/cycle.json").path)
        let template = try #require(loaded.template)
        let d = DiagramBuilder(graph: SceneGraph(template: template), template: template).build()
        let cycle = d.edges.filter { $0.attributes["label"] == "cycle" }.map { "\($0.from)->\($0.to)" }.sorted()
        #expect(cycle == ["hook.first_frame->hook.last_frame", "hook.last_frame->pour.first_frame",
                          "pour.first_frame->shot.first_frame", "shot.first_frame->hook.first_frame"])
    }

    @Test func largeTemplatesAreLaidOutInSwiftInPlaybackOrder() throws {
        func template(scenes: Int) throws -> Template {
            let list = (0..<scenes).map { #"{"id": "s\#($0)", "speaking": false}"# }.joined(separator: ",")
            let loaded = LoadedTemplate.parse(bytes: Array(#"{"schema_version": 1, "id": "t", "scenes": [\#(list)]}"#.utf8), path: "t.json")
            return try #require(loaded.template)
        }
        let small = try template(scenes: 3), large = try template(scenes: DiagramBuilder.overviewThreshold + 1)
        let a = DiagramBuilder(graph: SceneGraph(template: small), template: small).build()
        #expect(a.layout == .ranked && a.graphAttributes["newrank"] == "true")
        #expect(a.edges.filter { $0.attributes["style"] == "invis" }.map { "\($0.from)->\($0.to)" } == ["s0.video->s1.first_frame", "s1.video->s2.first_frame"])
        let overview = DiagramBuilder(graph: SceneGraph(template: large), template: large).build()
        #expect(overview.layout == .fixed)
        let cards = overview.nodes.filter { $0.id.hasPrefix("scene:") }
        #expect(cards.map(\.id) == (0...DiagramBuilder.overviewThreshold).map { "scene:s\($0)" })
        let ys = cards.compactMap(\.position?.y)
        #expect(ys.count == cards.count && zip(ys, ys.dropFirst()).allSatisfy { $0 > $1 }, "each scene below the one before")
        var options = DiagramBuilder.Options()
        options.view = .detail
        let rows = DiagramBuilder(graph: SceneGraph(template: large), template: large, options: options).build()
        #expect(rows.layout == .fixed && rows.nodes.contains { $0.id == "s20.video" })
    }

    @Test func edgeTypesAreDistinguishableWithoutColour() {
        // Within one colour, line style or width must differ.
        var seen: [String: Set<String>] = [:]
        for type in EdgeType.allCases {
            let s = DiagramBuilder.edgeStyle(type)
            let key = "\(s["style"] ?? "")/\(s["penwidth"] ?? "1")/\(s["label"] ?? "")"
            #expect(seen[s["color"]!, default: []].insert(key).inserted, "\(type) looks like another edge of its colour")
        }
    }
}
