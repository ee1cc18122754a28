import Foundation
import PropertyBased
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The built `sceneflow` on templates and product files we did not write, drawn at random (a
/// failure prints the seed that reproduces it). Each command has a deadline of its own
/// (`sceneflow(timeout:)`), so one hung case fails by name.
@Suite(.timeLimit(.minutes(10)), .tags(.endToEnd), .shrinking(false)) struct GeneratedCommandTests {
    @Test func everyCommandHandlesGeneratedTemplates() async throws {
        await propertyCheck(count: 6, input: Gen.int(in: 1...300), Gen.element(of: TemplateFactory.Shape.allCases),
                            Gen.element(of: TemplateFactory.Format.allCases), Gen.int(in: 0...1_000_000)) { scenes, shape, format, seed in
            let label = "\(scenes) scenes, \(shape!), \(format!), seed \(seed)"
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let template = try TemplateFactory.write(scenes: scenes, shape: shape!, seed: UInt64(seed), format: format!, into: dir).path
            let assets = try TemplateFactory.assets(in: dir).flatMap { ["--asset", $0] }
            let ws = ["--workspace", dir.appendingPathComponent("ws").path]

            let validate = try await sceneflow(["validate", template], timeout: 30)
            #expect(validate.status == 0, "\(label): \(validate.stdout.prefix(400))")

            for format in ["svg", "png", "pdf", "dot", "json"] {
                let out = dir.appendingPathComponent("graph.\(format)")
                let graph = try await sceneflow(["graph", template, "-o", out.path], timeout: 60)
                #expect(graph.status == 0, "\(label) \(format): \(graph.stderr.prefix(400))")
                let size = (try? FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int) ?? 0
                #expect(size > 100, "\(label) \(format): \(size) bytes")
            }
            // Every scene is in the SVG, once, in playback order from the top.
            let svg = try String(contentsOf: dir.appendingPathComponent("graph.svg"), encoding: .utf8)
            let ids = (0..<scenes).map { "s\($0)" }  // TemplateFactory's scene ids
            for id in ids { #expect(svg.contains("id=\"scene:\(id)\""), "\(label): scene \(id) not drawn") }
            if scenes > 20 {
                let tops = ids.compactMap { SVGGeometry.top(of: "scene:\($0)", in: svg) }
                #expect(tops.count == ids.count && zip(tops, tops.dropFirst()).allSatisfy { $0 < $1 }, "\(label): scene boxes out of playback order")
            }

            let plan = try await sceneflow(["plan", template, "--format", "json"] + assets, timeout: 60)
            #expect(plan.status == 0, "\(label): \(plan.stderr.prefix(400))")
            #expect((try? JSONSerialization.jsonObject(with: Data(plan.stdout.utf8))) is [String: Any], "\(label): plan JSON")

            let real = dir.appendingPathComponent("ws/cache")
            let run = try await sceneflow(["run", template, "--simulate", "100000", "--json"] + assets + ws, timeout: 120)
            #expect(run.status == 0, "\(label): \(run.stderr.prefix(400))")
            let events = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(events.count == run.stdout.split(separator: "\n").count, "\(label): every line is JSON")
            #expect(events.first?["event"] as? String == "run_started" && events.last?["event"] as? String == "run_finished", "\(label)")
            let realObjects = (FileManager.default.enumerator(atPath: real.path)?.allObjects as? [String] ?? []).filter { !$0.hasPrefix("simulated") && $0.contains(".") }
            #expect(realObjects.isEmpty, "\(label): a rehearsal wrote into the real cache: \(realObjects.prefix(3))")
        }
    }

    /// Product ids a hostile or careless CSV may carry: every one is refused, located, and nothing
    /// is written outside the workspace.
    static let hostile = ["..", ".", "../../escape", "a/b", "a\\b", "/etc", "%2e%2e", "%2F", "ÅBC", "grіnder" /* Cyrillic і */,
                          String(repeating: "a", count: 300), "-rf", "tab\there", "emoji🎬", "UPPER", "a..b", "\u{202E}gnp"]

    @Test func hostileProductIDsAreRefusedAndNothingEscapes() async throws {
        await propertyCheck(count: 20, input: Gen.element(of: Self.hostile), Gen.int(in: 0...3)) { hostile, position in
            let hostile = hostile!
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            // The workspace sits one level down, so "outside it" is a folder we can watch.
            let ws = root.appendingPathComponent("ws")
            try FileManager.default.createDirectory(at: ws, withIntermediateDirectories: true)
            try Data("keep".utf8).write(to: root.appendingPathComponent("sentinel.txt"))
            let png = packageRoot.appendingPathComponent("samples/products/grinder/product.png").path
            var rows = ["p1,\(png)", "p2,\(png)", "p3,\(png)"]
            rows.insert("\"\(hostile.replacingOccurrences(of: "\"", with: "\"\""))\",\(png)", at: position)
            let csv = root.appendingPathComponent("products.csv")
            try Data((["product_id,product_1"] + rows).joined(separator: "\n").utf8).write(to: csv)
            let before = snapshot(root, excluding: "ws")

            let batch = try await sceneflow(["batch", "samples/unboxing.json", "--products", csv.path, "--simulate", "1000",
                                             "--workspace", ws.path], timeout: 60)
            #expect(batch.status == 1, "\(hostile.debugDescription): \(batch.stderr.prefix(300))")
            #expect(batch.stderr.contains("products.csv:\(position + 2):") && batch.stderr.contains("[invalid-id]"), "\(hostile.debugDescription): \(batch.stderr.prefix(300))")
            #expect(batch.stderr.contains("nothing was run"))
            let assets = try await sceneflow(["assets", "add", "--product", hostile, "product_1", png, "--workspace", ws.path], timeout: 30)
            #expect(assets.status == 64 || assets.status == 1, "\(hostile.debugDescription): \(assets.stderr.prefix(300))")
            let remove = try await sceneflow(["assets", "remove", "--product", hostile, "--workspace", ws.path], timeout: 30)
            #expect(remove.status != 0)
            #expect(snapshot(root, excluding: "ws") == before, "\(hostile.debugDescription): something outside the workspace changed")
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: ws.appendingPathComponent("runs").path)) ?? []
            #expect(runs.isEmpty, "\(hostile.debugDescription): \(runs)")
        }
    }

    /// Every path under `root` (but `excluding`) with its size and modification time.
    func snapshot(_ root: URL, excluding: String) -> [String: String] {
        var result: [String: String] = [:]
        let paths = FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
        for path in paths where path != excluding && !path.hasPrefix(excluding + "/") {
            let attributes = try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(path).path)
            result[path] = "\(attributes?[.size] ?? 0) \((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        return result
    }
}

/// Where things are in an SVG Graphviz wrote (coordinates grow downwards).
enum SVGGeometry {
    /// The smallest y of the `<g id="ID">` element's first polygon or path.
    static func top(of id: String, in svg: String) -> Double? {
        guard let start = svg.range(of: "id=\"\(id)\"") else { return nil }
        let rest = svg[start.upperBound...]
        let candidates = [rest.range(of: "points=\""), rest.range(of: " d=\"")].compactMap { $0 }
        guard let points = candidates.min(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        let end = rest[points.upperBound...].firstIndex(of: "\"") ?? rest.endIndex
        let numbers = rest[points.upperBound..<end].split(whereSeparator: { " ,MCLZz".contains($0) }).compactMap { Double($0) }
        let ys = stride(from: 1, to: numbers.count, by: 2).map { numbers[$0] }
        return ys.min()
    }
}
