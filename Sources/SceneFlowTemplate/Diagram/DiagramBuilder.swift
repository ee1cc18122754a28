import Foundation

/// Decides what a dependency diagram shows, at any size:
///
/// - **detail** (the default up to `overviewThreshold` scenes, or for `--scenes A..B`): every
///   node. Up to 20 scenes in view, dot ranks them left to right, one box per scene in playback
///   order (`+Ranked`); beyond that, one row per scene, top to bottom, positioned here
///   (`+Rows`).
/// - **overview** (the default beyond the threshold): one box per scene with its key facts and
///   only the edges between scenes, the shared inputs drawn once (`+Overview`).
///
/// Large views are laid out in Swift (a `.fixed` layout: scene k is row k, guaranteed) and
/// Graphviz only draws them: dot's ranking of hundreds of clusters, or of long edges, takes
/// minutes and can fail outright ("trouble in init_rank"). Shapes and fills by node kind, edge
/// styles by type with a legend, the critical path in bold, and for a run each node's status
/// as a fill from a colour-blind-safe palette (Okabe–Ito tints) *and* a text marker. Every node
/// and scene gets a stable SVG id (the node id, `scene:<id>`) and a tooltip (`<title>`).
public struct DiagramBuilder {
    public enum View: String, Sendable, CaseIterable {
        case detail, overview
    }

    public struct Options: Sendable {
        /// Statuses from a run, by node id.
        public var statuses: [String: NodeStatus] = [:]
        /// Images to show inside finished frame nodes, by node id (absolute paths).
        public var thumbnails: [String: String] = [:]
        /// The model each node ran on in a run, shown instead of the template's choice.
        public var models: [String: String] = [:]
        /// A run's failures, by node id (in tooltips).
        public var errors: [String: String] = [:]
        /// The prompts a run sent, by node id (in tooltips).
        public var prompts: [String: String] = [:]
        /// Which take a run used, by node id, for nodes with more than one take or a pick
        /// ("take 3", "take 1, picked"); shown under the status.
        public var takes: [String: String] = [:]
        /// Nodes and edges on cycles, drawn highlighted (`--allow-invalid`).
        public var highlightCycles = true
        public var showLegend = true
        /// `nil`: detail up to `overviewThreshold` scenes (or with `scenes`), overview beyond.
        public var view: View?
        /// Scenes to draw in detail, 1-based and inclusive (`--scenes 12..30`).
        public var scenes: ClosedRange<Int>?

        public init() {}
    }

    public let graph: SceneGraph
    public let template: Template
    public let registry: ModelRegistry
    public var options: Options

    public init(graph: SceneGraph, template: Template, registry: ModelRegistry = .standard, options: Options = Options()) {
        self.graph = graph
        self.template = template
        self.registry = registry
        self.options = options
    }

    /// Beyond this many scenes, the default view is the overview.
    public static let overviewThreshold = 20
    /// Up to this many scenes in view, a detail diagram is laid out by dot, left to right. dot's
    /// ranking with ordering edges between clusters grows explosively beyond (measured: 24
    /// scenes 0.8 s, 48 scenes 43 s), and fails on some shapes at 60.
    public static let leftToRightSceneLimit = 20

    /// The view drawn with these options.
    public var view: View {
        options.view ?? (options.scenes != nil || graph.scenes.count <= Self.overviewThreshold ? .detail : .overview)
    }

    /// The scenes in view (indices into `graph.scenes`), in playback order.
    public var scenesInView: [Int] {
        guard let range = options.scenes else { return Array(graph.scenes.indices) }
        return graph.scenes.indices.filter { range.contains($0 + 1) }
    }

    public func build() -> Diagram {
        var d = Diagram(name: graph.templateID)
        d.nodeDefaults = ["fontname": "Helvetica", "fontsize": "11", "style": "filled", "fillcolor": "white", "penwidth": "1.2"]
        d.edgeDefaults = ["fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"]
        let scenes = scenesInView
        let title = "\(graph.templateID)\(template.name.map { " — \($0)" } ?? "")  ·  \(graph.aspectRatio.rawValue)  ·  "
            + "\(graph.scenes.count) scene\(graph.scenes.count == 1 ? "" : "s"), \(graph.nodes.count) nodes"
            + (options.scenes == nil ? "" : "  ·  scenes \(scenes.first.map { $0 + 1 } ?? 0)–\(scenes.last.map { $0 + 1 } ?? 0)")
        // Nodes in the order they are listed (a scene's box before its nodes), then the edges over them.
        d.graphAttributes = ["fontname": "Helvetica", "bgcolor": "white", "label": title, "labelloc": "t", "fontsize": "18", "outputorder": "nodesfirst"]
        switch view {
        case .overview: buildOverview(into: &d)
        case .detail where scenes.count <= Self.leftToRightSceneLimit: buildRanked(into: &d, scenes: scenes)
        case .detail: buildRows(into: &d, scenes: scenes)
        }
        return d
    }

    // MARK: Shared facts

    /// Nodes and edges on the critical path (by the registry's latencies) and on cycles.
    struct Emphasis {
        var criticalNodes = Set<Int>()
        var criticalEdges = Set<[Int]>()
        var cycleNodes = Set<Int>()
        var cycleEdges = Set<[Int]>()
    }

    func emphasis() -> Emphasis {
        var e = Emphasis()
        if options.highlightCycles {
            for cycle in graph.cycles() {
                for (i, node) in cycle.enumerated() {
                    e.cycleNodes.insert(node)
                    e.cycleEdges.insert([node, cycle[(i + 1) % cycle.count]])
                }
            }
        }
        // The critical path only exists for an acyclic graph.
        if let order = graph.topologicalOrder() {
            let path = graph.criticalPath(order: order, registry: registry).path
            e.criticalNodes = Set(path)
            for i in path.indices.dropLast() { e.criticalEdges.insert([path[i], path[i + 1]]) }
        }
        return e
    }

    /// "5 s, speaking, maya".
    func facts(_ scene: SceneFacts) -> String {
        var facts = ["\(formatNumber(scene.seconds)) s"]
        if scene.speaking { facts.append("speaking") }
        if let avatar = scene.avatar { facts.append(avatar) }
        return facts.joined(separator: ", ")
    }

    /// The tooltip of node `i`: what it is, its model, its prompt, its status and error.
    func tooltip(_ i: Int) -> String {
        let node = graph.nodes[i]
        var lines = [node.id]
        if node.kind.isInput {
            lines.append("\(node.kind.rawValue) input: \(node.input ?? "")\(node.slotType.map { " (\($0.rawValue))" } ?? "")")
        } else if let source = graph.source(ofReuse: i) {
            lines.append("the same image as \(graph.nodes[source].id)")
        } else if let model = options.models[node.id] ?? node.model {
            lines.append("\(node.job?.rawValue ?? node.kind.rawValue) · \(model)")
        }
        let prompt = options.prompts[node.id]
            ?? PromptBuilder.prompt(for: node, scene: graph.scene(of: i), images: graph.incoming[i].map(\.type), aspectRatio: graph.aspectRatio)
        if !prompt.isEmpty { lines.append("prompt: \(prompt)") }
        if let status = options.statuses[node.id] { lines.append("status: \(status.rawValue)") }
        if let error = options.errors[node.id] { lines.append("error: \(error)") }
        return lines.joined(separator: "\n")
    }

    /// The tooltip of a scene: its place, facts and dialogue.
    func sceneTooltip(_ scene: SceneFacts, position: Int) -> String {
        var lines = ["\(position) · \(scene.id) (\(facts(scene)))"]
        if !scene.prompt.isEmpty { lines.append(scene.prompt) }
        if let dialogue = scene.dialogue { lines.append("“\(dialogue)”") }
        return lines.joined(separator: "\n")
    }

    /// A node's status as a fill, a border and a text marker (never colour alone).
    func applyStatus(_ id: String, to attributes: inout Diagram.Attributes) {
        guard let status = options.statuses[id] else { return }
        let style = Self.statusStyle(status)
        attributes["fillcolor"] = style.fill
        attributes["color"] = style.border
        attributes["label"] = "\(attributes["label"] ?? id)\n[\(style.marker)]" + (options.takes[id].map { " \($0)" } ?? "")
    }

    /// A finished frame's image inside its node: a fixed node in the template's shape, the
    /// image scaled into it, the label below.
    func applyThumbnail(_ id: String, to attributes: inout Diagram.Attributes, width: Double = 1.7) {
        guard options.statuses[id]?.isDone == true, let image = options.thumbnails[id] else { return }
        let size = graph.aspectRatio.pixelSize(shortSide: 100)
        let w = size.width >= size.height ? width * 1.4 : width
        attributes["image"] = image
        attributes["imagescale"] = "true"
        attributes["imagepos"] = "tc"
        attributes["labelloc"] = "b"
        attributes["width"] = String(format: "%.2f", w)
        attributes["height"] = String(format: "%.2f", w * Double(size.height) / Double(size.width) + 0.55)
        attributes["fixedsize"] = "true"
        attributes["fontsize"] = "9"
    }

    // MARK: Styles

    /// Okabe–Ito hues (distinguishable with the common colour-vision deficiencies).
    enum Hue {
        static let orange = "#E69F00", sky = "#56B4E9", green = "#009E73", yellow = "#F0E442"
        static let blue = "#0072B2", vermillion = "#D55E00", purple = "#CC79A7", grey = "#7F7F7F"
    }

    /// Fill, border and the text marker that carries the status without colour.
    static func statusStyle(_ status: NodeStatus) -> (fill: String, border: String, marker: String) {
        switch status {
        case .succeeded: return ("#B8E3D3", Hue.green, "OK")
        case .cached: return ("#CBE7F8", Hue.blue, "CACHED")
        case .failed: return ("#F6C4A8", Hue.vermillion, "FAILED")
        case .blocked: return ("#F8E0A8", Hue.orange, "BLOCKED")
        case .skipped: return ("#E4E4E4", Hue.grey, "SKIPPED")
        case .running: return ("#FFF8C4", "#8A7A00", "RUNNING")
        case .pending: return ("#FFFFFF", Hue.grey, "PENDING")
        case .queued: return ("#FFFDE8", "#8A7A00", "QUEUED")
        }
    }

    /// Colour, line style and width per edge type: line style differs too, so types stay
    /// distinguishable in greyscale.
    static func edgeStyle(_ type: EdgeType) -> Diagram.Attributes {
        switch type {
        case .avatar: return ["color": Hue.grey, "style": "solid"]
        case .background: return ["color": Hue.grey, "style": "dashed"]
        case .productImage: return ["color": Hue.orange, "style": "solid", "penwidth": "1.6"]
        case .productVideo: return ["color": Hue.orange, "style": "dashed", "penwidth": "1.6"]
        case .logo: return ["color": Hue.purple, "style": "solid", "penwidth": "1.6"]
        case .referenceImage: return ["color": Hue.green, "style": "dotted", "penwidth": "1.8"]
        case .reuse: return ["color": Hue.blue, "style": "dashed", "penwidth": "1.6", "label": "reuse"]
        case .continuity: return ["color": Hue.blue, "style": "solid", "penwidth": "2.4", "label": "continuity"]
        case .cameraAngle: return ["color": Hue.vermillion, "style": "dotted", "penwidth": "2"]
        case .firstFrame: return ["color": "#222222", "style": "solid"]
        case .lastFrame: return ["color": "#222222", "style": "dashed"]
        case .audio: return ["color": Hue.sky, "style": "solid", "penwidth": "1.6"]
        case .clip: return ["color": "#444444", "style": "solid"]
        }
    }

    static let edgeLegend: [(EdgeType, String)] = [
        (.avatar, "avatar"), (.background, "background"), (.productImage, "product image"),
        (.productVideo, "product video"), (.logo, "logo"), (.referenceImage, "size reference"),
        (.continuity, "continuity (last frame → first)"), (.reuse, "reuse (same image)"),
        (.cameraAngle, "camera angle re-shoot"), (.firstFrame, "first frame → clip"),
        (.lastFrame, "last frame → clip"), (.audio, "voice-over → clip"), (.clip, "clip → final cut"),
    ]

    /// `fal-ai/kling-video/v2.6/pro/image-to-video` → `kling-video/v2.6/pro/image-to-video`.
    func shortModelName(_ id: String) -> String {
        for prefix in ["fal-ai/", "elevenlabs/"] where id.hasPrefix(prefix) { return String(id.dropFirst(prefix.count)) }
        return id
    }

    /// A compact legend: one HTML-like table whose line samples use each edge type's colour and
    /// a glyph for its line style (solid, dashed, dotted, bold), so it reads in greyscale too.
    func legend(types used: Set<EdgeType>, hasCritical: Bool, hasCycle: Bool) -> Diagram.Node {
        func sample(_ style: Diagram.Attributes) -> String {
            let s = style["style"] ?? "solid"
            let glyph = s.contains("dotted") ? "· · · · · ·" : s.contains("dashed") ? "– – – –" : "————"
            let width = Double(style["penwidth"] ?? "1") ?? 1
            let text = "<FONT COLOR=\"\(style["color"] ?? "#222222")\">\(glyph)</FONT>"
            return width >= 2.4 || s.contains("bold") ? "<B>\(text)</B>" : text
        }
        var rows: [(String, String)] = Self.edgeLegend.filter { used.contains($0.0) }.map { (sample(Self.edgeStyle($0.0)), $0.1) }
        if hasCritical { rows.append(("<B>━━━━</B>", "critical path (bold)")) }
        if hasCycle { rows.append(("<B><FONT COLOR=\"\(Hue.vermillion)\">━━━━</FONT></B>", "cycle")) }
        for status in NodeStatus.allCases where options.statuses.values.contains(status) {
            let s = Self.statusStyle(status)
            rows.append(("<FONT COLOR=\"\(s.border)\">[\(s.marker)]</FONT>", "\(status.rawValue) (fill \(s.fill))"))
        }
        var html = "<<TABLE BORDER=\"1\" COLOR=\"#BBBBBB\" CELLBORDER=\"0\" CELLSPACING=\"1\" CELLPADDING=\"2\">"
        html += "<TR><TD COLSPAN=\"2\"><B>legend</B></TD></TR>"
        for (glyph, text) in rows {
            html += "<TR><TD ALIGN=\"LEFT\">\(glyph)</TD><TD ALIGN=\"LEFT\">\(Self.escapeHTML(text))</TD></TR>"
        }
        html += "</TABLE>>"
        return Diagram.Node(id: "legend", attributes: ["shape": "plaintext", "style": "", "label": html, "fontsize": "10", "id": "legend"])
    }

    static func escapeHTML(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
