import CGraphviz
import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// A failure inside libcgraph/libgvc.
public struct GraphvizError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The only code that calls libcgraph and libgvc.
///
/// Graphviz keeps global state and is not thread-safe (parallel renders crashed with SIGSEGV
/// even with one context per thread), so every call goes through this one actor, which owns the
/// process's single `GVC_t`. Graphs are built with the C API (`agopen`, `agsubg`, `agnode`,
/// `agedge`, `agsafeset`), laid out with `dot`, and rendered to memory with `gvRenderData`;
/// no `dot` process is ever started.
public actor GraphvizRenderer {
    public static let shared = GraphvizRenderer()

    private let context: OpaquePointer

    private init() {
        // Warnings ("size too small for label") are layout advice, not failures; they would
        // only clutter a run's output. Errors still come through.
        agseterr(AGERR)
        context = gvContext()
    }

    /// Renders to SVG, PNG or PDF bytes, or to DOT text (`.dot`), which is the graph as built,
    /// written by libcgraph itself: `dot` renders it to the same picture.
    public func render(_ diagram: Diagram, format: DiagramFormat) throws -> Data {
        let graph = try build(diagram)
        defer { agclose(graph) }
        if format == .png { cap(graph, diagram) }
        if format == .dot {
            var buffer: UnsafeMutablePointer<CChar>?
            var length = 0
            guard sceneflow_agwrite_to_memory(graph, &buffer, &length) == 0, let buffer else {
                throw GraphvizError(description: "libcgraph could not write DOT")
            }
            defer { free(buffer) }
            return Data(bytes: buffer, count: length)
        }
        let data = try layoutAndRender(graph, format: format, layout: diagram.layout == .fixed ? "nop2" : "dot")
        guard format == .svg else { return data }
        return Data(SVGTitles.apply(diagram.tooltips, to: String(decoding: data, as: UTF8.self)).utf8)
    }

    /// A PNG of a large diagram is scaled down to at most `maxPNGSide` pixels on its long side:
    /// a 1,000-scene picture at full size would need gigabytes.
    public static let maxPNGSide = 12_000.0

    private func cap(_ graph: UnsafeMutablePointer<Agraph_t>, _ diagram: Diagram) {
        let inches = Self.maxPNGSide / 96
        withCString("size") { k in withCString("\(inches),\(inches)") { v in withCString("") { e in _ = agsafeset(UnsafeMutableRawPointer(graph), k, v, e) } } }
    }

    /// Lays out DOT text read by `agmemread` and renders it: for benchmarks against `dot -Tsvg`
    /// on identical input.
    public func render(dot: String, format: DiagramFormat) throws -> Data {
        guard let graph = agmemread(dot) else { throw GraphvizError(description: "libcgraph could not parse the DOT text") }
        defer { agclose(graph) }
        return try layoutAndRender(graph, format: format)
    }

    /// `dot` layout, then rendering into memory; the layout is freed either way.
    private func layoutAndRender(_ graph: UnsafeMutablePointer<Agraph_t>, format: DiagramFormat, layout: String = "dot") throws -> Data {
        guard withCString(layout, { gvLayout(context, graph, $0) }) == 0 else {
            throw GraphvizError(description: "Graphviz could not lay out the diagram")
        }
        defer { gvFreeLayout(context, graph) }
        var result: UnsafeMutablePointer<CChar>?
        var length: UInt32 = 0
        guard gvRenderData(context, graph, format.rawValue, &result, &length) == 0, let result else {
            throw GraphvizError(description: "Graphviz has no \(format.rawValue) renderer (is the libgvc6 plugin package installed?)")
        }
        defer { gvFreeRenderData(result) }
        return Data(bytes: result, count: Int(length))
    }

    // MARK: Building the cgraph graph

    private func build(_ diagram: Diagram) throws -> UnsafeMutablePointer<Agraph_t> {
        guard let graph = withCString(diagram.name, { sceneflow_agopen_directed($0) }) else {
            throw GraphvizError(description: "agopen failed")
        }
        apply(diagram.graphAttributes, to: UnsafeMutableRawPointer(graph), in: graph)
        // Defaults are declared as attributes of their kind with a default value.
        for (key, value) in diagram.nodeDefaults.sorted(by: { $0.key < $1.key }) { declare(graph, AGNODE, key, value) }
        for (key, value) in diagram.edgeDefaults.sorted(by: { $0.key < $1.key }) { declare(graph, AGEDGE, key, value) }

        var clusters: [String: UnsafeMutablePointer<Agraph_t>] = [:]
        for cluster in diagram.clusters {
            guard let sub = withCString(cluster.id, { agsubg(graph, $0, 1) }) else {
                throw GraphvizError(description: "agsubg failed for \(cluster.id)")
            }
            apply(cluster.attributes, to: UnsafeMutableRawPointer(sub), in: graph)
            clusters[cluster.id] = sub
        }
        // Create nodes and edges in the order agwrite emits them (nodes grouped by cluster, in
        // cluster order, then the rest; edges by tail node), so that `dot` reading our DOT output
        // sees the same input order as this layout and draws the same picture.
        let clusterRank = Dictionary(uniqueKeysWithValues: diagram.clusters.enumerated().map { ($1.id, $0) })
        let orderedNodes = diagram.nodes.enumerated().sorted {
            let a = $0.element.cluster.flatMap { clusterRank[$0] } ?? Int.max
            let b = $1.element.cluster.flatMap { clusterRank[$0] } ?? Int.max
            return (a, $0.offset) < (b, $1.offset)
        }.map(\.element)
        let nodeRank = Dictionary(orderedNodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let orderedEdges = diagram.edges.enumerated().sorted {
            (nodeRank[$0.element.from] ?? 0, $0.offset) < (nodeRank[$1.element.from] ?? 0, $1.offset)
        }.map(\.element)

        var nodes: [String: UnsafeMutablePointer<Agnode_t>] = [:]
        for node in orderedNodes {
            let owner = node.cluster.flatMap { clusters[$0] } ?? graph
            guard let created = withCString(node.id, { agnode(owner, $0, 1) }) else {
                throw GraphvizError(description: "agnode failed for \(node.id)")
            }
            var attributes = node.attributes
            // A fixed layout pins every node where the diagram says (neato's "x,y!").
            if let p = node.position { attributes["pos"] = String(format: "%.2f,%.2f!", p.x, p.y) }
            apply(attributes, to: UnsafeMutableRawPointer(created), in: graph)
            nodes[node.id] = created
        }
        for edge in orderedEdges {
            guard let tail = nodes[edge.from], let head = nodes[edge.to] else {
                throw GraphvizError(description: "edge \(edge.from) -> \(edge.to) names an unknown node")
            }
            guard let created = agedge(graph, tail, head, nil, 1) else {
                throw GraphvizError(description: "agedge failed for \(edge.from) -> \(edge.to)")
            }
            var attributes = edge.attributes
            if let route = edge.route, route.count >= 2 { attributes["pos"] = Self.spline(route) }
            apply(attributes, to: UnsafeMutableRawPointer(created), in: graph)
        }
        return graph
    }

    /// Sets attributes in a stable order. A value written `<...>` is an HTML-like label, which
    /// libcgraph only recognises when the string is created with `agstrdup_html`.
    private func apply(_ attributes: Diagram.Attributes, to object: UnsafeMutableRawPointer, in graph: UnsafeMutablePointer<Agraph_t>) {
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            withCString(key) { k in
                if value.hasPrefix("<") && value.hasSuffix(">") {
                    let inner = String(value.dropFirst().dropLast())
                    withCString("") { empty in
                        // Declare the attribute, then set the HTML string through its symbol.
                        _ = agsafeset(object, k, empty, empty)
                        if let symbol = agattrsym(object, k) {
                            let html = withCString(inner) { agstrdup_html(graph, $0) }
                            _ = agxset(object, symbol, html)
                            agstrfree(graph, html)
                        }
                    }
                } else {
                    withCString(value) { v in withCString("") { empty in _ = agsafeset(object, k, v, empty) } }
                }
            }
        }
    }

    private func declare(_ graph: UnsafeMutablePointer<Agraph_t>, _ kind: Int32, _ key: String, _ value: String) {
        withCString(key) { k in withCString(value) { v in _ = agattr(graph, kind, k, v) } }
    }
}

extension GraphvizRenderer {
    /// A polyline as Graphviz's edge `pos`: an arrowhead at the last point ("e,x,y") and a
    /// B-spline of straight cubic segments (3n + 1 control points) ending short of it.
    static func spline(_ route: [Diagram.Point]) -> String {
        var points = route
        let tip = points.removeLast()
        let last = points.last!
        let dx = tip.x - last.x, dy = tip.y - last.y
        let length = max(1, (dx * dx + dy * dy).squareRoot())
        let back = min(8, length / 2)
        points.append(Diagram.Point(tip.x - dx / length * back, tip.y - dy / length * back))
        var controls = [points[0]]
        for (a, b) in zip(points, points.dropFirst()) {
            controls.append(Diagram.Point(a.x + (b.x - a.x) / 3, a.y + (b.y - a.y) / 3))
            controls.append(Diagram.Point(a.x + 2 * (b.x - a.x) / 3, a.y + 2 * (b.y - a.y) / 3))
            controls.append(b)
        }
        func format(_ p: Diagram.Point) -> String { String(format: "%.2f,%.2f", p.x, p.y) }
        return "e,\(format(tip)) " + controls.map(format).joined(separator: " ")
    }
}

/// libcgraph takes `char *` even where it only reads, so each call gets a mutable copy.
private func withCString<R>(_ string: String, _ body: (UnsafeMutablePointer<CChar>) -> R) -> R {
    var bytes = Array(string.utf8CString)
    return bytes.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
