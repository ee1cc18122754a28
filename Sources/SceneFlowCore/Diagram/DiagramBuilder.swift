import Foundation

/// Decides what a dependency diagram shows: one cluster per scene in playback order, left to
/// right; shapes and fills by node kind; edge styles by type, with a legend; the model on each
/// generation node; the critical path in bold; and, for a run, each node's status as a fill
/// from a colour-blind-safe palette (Okabe–Ito tints) *and* a text marker, never colour alone.
public struct DiagramBuilder {
    public struct Options: Sendable {
        /// Statuses from a run, by node id.
        public var statuses: [String: NodeStatus] = [:]
        /// Images to show inside finished frame nodes, by node id (absolute paths).
        public var thumbnails: [String: String] = [:]
        /// Nodes and edges on cycles, drawn highlighted (`--allow-invalid`).
        /// The model each node ran on in a run, shown instead of the template's choice.
        public var models: [String: String] = [:]
        public var highlightCycles = true
        public var showLegend = true
        public init() {}

        /// A run's statuses, models, and its finished frames as thumbnails.
        public init(run: LoadedRun, graph: SceneGraph) {
            for node in run.report.nodes {
                statuses[node.id] = node.status
                if let model = node.model { models[node.id] = model }
                if graph[node.id]?.kind.isFrame == true, let url = run.output(of: node.id), MediaType.sniff(fileAt: url)?.isImage == true {
                    thumbnails[node.id] = url.path
                }
            }
        }
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

    // MARK: Building

    /// Up to this many scenes, scenes are laid out left to right in playback order. dot's
    /// `newrank` ranking with ordering edges between clusters grows explosively with the
    /// number of clusters (measured: 24 scenes 0.8 s, 48 scenes 43 s, 200 scenes > 2 min), so
    /// larger templates stack their scene clusters top to bottom in playback order instead
    /// (200 scenes: 0.6 s), with dependencies still flowing left to right.
    public static let leftToRightSceneLimit = 20

    public var isLeftToRight: Bool { template.scenes.count <= Self.leftToRightSceneLimit }

    public func build() -> Diagram {
        var d = Diagram(name: template.id?.value ?? "template")
        d.graphAttributes = [
            "rankdir": "LR", "compound": "true", "fontname": "Helvetica",
            "nodesep": "0.35", "ranksep": "0.55", "bgcolor": "white",
            "label": "\(template.id?.value ?? "template")\(template.name.map { " — \($0)" } ?? "")  ·  \(template.aspectRatio.rawValue)  ·  \(graph.nodes.count) nodes",
            "labelloc": "t", "fontsize": "18",
        ]
        if isLeftToRight { d.graphAttributes["newrank"] = "true" }
        d.nodeDefaults = ["fontname": "Helvetica", "fontsize": "11", "style": "filled", "fillcolor": "white", "penwidth": "1.2"]
        d.edgeDefaults = ["fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"]

        let cycles = options.highlightCycles ? graph.cycles() : []
        var cycleEdges = Set<[Int]>()
        var cycleNodes = Set<Int>()
        for cycle in cycles {
            for (i, node) in cycle.enumerated() {
                cycleNodes.insert(node)
                cycleEdges.insert([node, cycle[(i + 1) % cycle.count]])
            }
        }
        // The critical path only exists for an acyclic graph.
        var criticalEdges = Set<[Int]>()
        var criticalNodes = Set<Int>()
        if let order = graph.topologicalOrder() {
            let path = graph.criticalPath(order: order, registry: registry).path
            criticalNodes = Set(path)
            for i in path.indices.dropLast() { criticalEdges.insert([path[i], path[i + 1]]) }
        }

        d.clusters.append(Diagram.Cluster(id: "cluster_inputs", attributes: [
            "label": "inputs", "style": "rounded,dashed", "color": Hue.grey, "fontcolor": "#555555",
        ].merging(isLeftToRight ? ["rank": "same"] : [:]) { a, _ in a }))
        for scene in template.scenes {
            guard let id = scene.id?.value, graph.indexByID["\(id).first_frame"] != nil else { continue }
            var facts = ["\(formatNumber(scene.duration)) s"]
            if scene.isSpeaking { facts.append("speaking") }
            if let avatar = scene.avatar?.value { facts.append(avatar) }
            d.clusters.append(Diagram.Cluster(id: "cluster_scene_\(scene.index)", attributes: [
                "label": "\(scene.index + 1) · \(id)  (\(facts.joined(separator: ", ")))",
                "style": "rounded,filled", "fillcolor": "#F7F7F7", "color": "#BBBBBB", "fontsize": "13",
            ]))
        }

        for (index, node) in graph.nodes.enumerated() {
            var attributes = nodeAttributes(node)
            if criticalNodes.contains(index) && node.generates { attributes["penwidth"] = "2.6" }
            if let status = options.statuses[node.id] {
                let style = Self.statusStyle(status)
                attributes["fillcolor"] = style.fill
                attributes["color"] = style.border
                attributes["label"] = "\(attributes["label"] ?? node.id)\n[\(style.marker)]"
                if status.isDone, let image = options.thumbnails[node.id] {
                    attributes["image"] = image
                    attributes["imagescale"] = "true"
                    attributes["imagepos"] = "tc"
                    attributes["labelloc"] = "b"
                    // A fixed node in the template's shape; the image is scaled into it, the
                    // label sits below it.
                    let size = template.aspectRatio.pixelSize(shortSide: 100)
                    let width = size.width >= size.height ? 2.4 : 1.7
                    attributes["width"] = String(format: "%.2f", width)
                    attributes["height"] = String(format: "%.2f", width * Double(size.height) / Double(size.width) + 0.55)
                    attributes["fixedsize"] = "true"
                    attributes["fontsize"] = "9"
                }
            }
            if cycleNodes.contains(index) {
                attributes["color"] = Hue.vermillion
                attributes["penwidth"] = "3"
                attributes["fontcolor"] = Hue.vermillion
            }
            let cluster: String?
            switch node.kind {
            case .avatar, .background, .asset: cluster = "cluster_inputs"
            case .final: cluster = nil
            default: cluster = node.sceneIndex.map { "cluster_scene_\($0)" }
            }
            d.nodes.append(Diagram.Node(id: node.id, attributes: attributes, cluster: cluster))
        }

        for edge in graph.edges {
            var attributes = Self.edgeStyle(edge.type)
            if edge.type == .cameraAngle, let camera = graph.nodes[edge.to].camera { attributes["label"] = camera }
            if criticalEdges.contains([edge.from, edge.to]) {
                attributes["penwidth"] = "3.5"
                attributes["style"] = (attributes["style"] ?? "solid") + ",bold"
            }
            if cycleEdges.contains([edge.from, edge.to]) {
                attributes["color"] = Hue.vermillion
                attributes["penwidth"] = "3.5"
                attributes["fontcolor"] = Hue.vermillion
                attributes["label"] = "cycle"
            }
            d.edges.append(Diagram.Edge(from: graph.nodes[edge.from].id, to: graph.nodes[edge.to].id, attributes: attributes))
        }

        // Playback order, left to right: each scene's clip sits left of the next scene's first frame.
        var previousVideo: String?
        for scene in template.scenes where isLeftToRight {
            guard let id = scene.id?.value, graph.indexByID["\(id).video"] != nil else { continue }
            if let previousVideo {
                d.edges.append(Diagram.Edge(from: previousVideo, to: "\(id).first_frame", attributes: ["style": "invis", "weight": "0"]))
            }
            previousVideo = "\(id).video"
        }

        if options.showLegend { addLegend(to: &d, hasCritical: !criticalEdges.isEmpty, hasCycle: !cycleEdges.isEmpty) }
        return d
    }

    private func nodeAttributes(_ node: SceneGraph.Node) -> Diagram.Attributes {
        let model = (options.models[node.id] ?? node.model).map(shortModelName)
        switch node.kind {
        case .avatar:
            return ["shape": "ellipse", "fillcolor": "#FFF3D6", "label": "\(node.id)\n\(node.input ?? "")"]
        case .background:
            return ["shape": "tab", "fillcolor": "#E6F0DC", "label": "\(node.id)\n\(node.input ?? "")"]
        case .asset:
            let fill: String
            switch node.slotType {
            case .logo: fill = "#EFE3F3"
            case .referenceImage: fill = "#DDF2EC"
            default: fill = "#FCE6CC"
            }
            return ["shape": "note", "fillcolor": fill, "label": "\(node.id)\n(\(node.slotType?.rawValue ?? "asset"))"]
        case .firstFrame, .lastFrame:
            switch node.job {
            case nil:
                let source = graph.predecessors[graph.indexByID[node.id]!].first.map { "= \(graph.nodes[$0].id)" } ?? "= ?"
                return ["shape": "box", "style": "rounded,dashed,filled", "fillcolor": "#FFFFFF", "label": "\(node.id)\n\(source)"]
            case .cameraAngle:
                return ["shape": "box", "style": "rounded,filled", "fillcolor": "#FDE9DD", "peripheries": "2",
                        "label": "\(node.id)\ncamera angle · \(model ?? "?")"]
            default:
                return ["shape": "box", "style": "rounded,filled", "fillcolor": "#E4EEFA", "label": "\(node.id)\n\(model ?? "?")"]
            }
        case .audio:
            return ["shape": "cds", "fillcolor": "#E3F3FB", "label": "\(node.id)\n\(model ?? "?")"]
        case .video:
            return ["shape": "box", "style": "filled", "fillcolor": "#F6E4EE",
                    "label": "\(node.id)\n\(node.clipSeconds.map { "\(formatNumber($0)) s · " } ?? "")\(model ?? "?")"]
        case .final:
            return ["shape": "doubleoctagon", "fillcolor": "#EEEEEE", "label": "final.video\ncut & combine"]
        }
    }

    /// `fal-ai/kling-video/v2.6/pro/image-to-video` → `kling-video/v2.6/pro/image-to-video`.
    func shortModelName(_ id: String) -> String {
        for prefix in ["fal-ai/", "elevenlabs/"] where id.hasPrefix(prefix) { return String(id.dropFirst(prefix.count)) }
        return id
    }

    /// A compact legend: one HTML-like table whose line samples use each edge type's colour and
    /// a glyph for its line style (solid, dashed, dotted, bold), so it reads in greyscale too.
    private func addLegend(to d: inout Diagram, hasCritical: Bool, hasCycle: Bool) {
        func sample(_ style: Diagram.Attributes) -> String {
            let s = style["style"] ?? "solid"
            let glyph = s.contains("dotted") ? "· · · · · ·" : s.contains("dashed") ? "– – – –" : "————"
            let width = Double(style["penwidth"] ?? "1") ?? 1
            let text = "<FONT COLOR=\"\(style["color"] ?? "#222222")\">\(glyph)</FONT>"
            return width >= 2.4 || s.contains("bold") ? "<B>\(text)</B>" : text
        }
        let used = Set(graph.edges.map(\.type))
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
            html += "<TR><TD ALIGN=\"LEFT\">\(glyph)</TD><TD ALIGN=\"LEFT\">\(escapeHTML(text))</TD></TR>"
        }
        html += "</TABLE>>"
        d.nodes.append(Diagram.Node(id: "legend", attributes: ["shape": "plaintext", "style": "", "label": html, "fontsize": "10"], cluster: "cluster_inputs"))
    }

    private func escapeHTML(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
