import Foundation

/// Up to 20 scenes in full detail, laid out by dot: inputs on the left, one box per scene left
/// to right in playback order (invisible ordering edges from each scene's clip to the next
/// scene's first frame), the final cut on the right.
extension DiagramBuilder {
    func buildRanked(into d: inout Diagram, scenes: [Int]) {
        d.layout = .ranked
        d.graphAttributes.merge(["rankdir": "LR", "compound": "true", "nodesep": "0.35", "ranksep": "0.55", "newrank": "true"]) { $1 }
        let e = emphasis()
        var included = Set(scenes.flatMap { graph.nodesOfScene[$0] })
        if let final = graph.indexByID["final.video"] { included.insert(final) }
        for i in Array(included) {
            for (from, _) in graph.incoming[i] where graph.nodes[from].kind.isInput { included.insert(from) }
        }
        // The whole template: inputs no scene uses are drawn too (dashed), not dropped.
        if options.scenes == nil {
            for i in graph.nodes.indices where graph.nodes[i].kind.isInput { included.insert(i) }
        }

        d.clusters.append(Diagram.Cluster(id: "cluster_inputs", attributes: [
            "label": "inputs", "style": "rounded,dashed", "color": Hue.grey, "fontcolor": "#555555", "rank": "same", "id": "inputs",
        ], tooltip: "inputs: the avatars, backgrounds and product assets"))
        for index in scenes {
            let scene = graph.scenes[index]
            d.clusters.append(Diagram.Cluster(id: "cluster_scene_\(index)", attributes: [
                "label": "\(index + 1) · \(scene.id)  (\(facts(scene)))", "id": "scene:\(scene.id)",
                "style": "rounded,filled", "fillcolor": "#F7F7F7", "color": "#BBBBBB", "fontsize": "13",
            ], tooltip: sceneTooltip(scene, position: index + 1)))
        }

        for index in graph.nodes.indices where included.contains(index) {
            let node = graph.nodes[index]
            var attributes = nodeAttributes(index)
            if e.criticalNodes.contains(index) && node.generates { attributes["penwidth"] = "2.6" }
            applyStatus(node.id, to: &attributes)
            applyThumbnail(node.id, to: &attributes)
            if node.kind.isInput && graph.successors[index].isEmpty {
                attributes["style"] = "dashed,filled"
                attributes["label"] = (attributes["label"] ?? node.id) + "\n(not used)"
            }
            if e.cycleNodes.contains(index) {
                attributes["color"] = Hue.vermillion
                attributes["penwidth"] = "3"
                attributes["fontcolor"] = Hue.vermillion
            }
            let cluster: String?
            switch node.kind {
            case .avatar, .background, .asset: cluster = "cluster_inputs"
            case .final: cluster = nil
            default: cluster = node.factsIndex.map { "cluster_scene_\($0)" }
            }
            d.nodes.append(Diagram.Node(id: node.id, attributes: attributes, cluster: cluster, tooltip: tooltip(index)))
        }

        var used = Set<EdgeType>()
        var stubs = Set<Int>()
        for edge in graph.edges where included.contains(edge.to) {
            var attributes = Self.edgeStyle(edge.type)
            var from = graph.nodes[edge.from].id
            if !included.contains(edge.from) {
                // A scene outside the range feeds this one: a small note names it.
                from = "from:\(graph.nodes[edge.from].id)"
                if stubs.insert(edge.from).inserted {
                    d.nodes.append(Diagram.Node(id: from, attributes: ["shape": "note", "style": "dashed", "fontsize": "9", "id": from,
                                                                       "label": "⟵ \(graph.nodes[edge.from].id)\n(outside this range)"],
                                                tooltip: tooltip(edge.from)))
                }
            }
            used.insert(edge.type)
            if edge.type == .cameraAngle, let camera = graph.nodes[edge.to].camera { attributes["label"] = camera }
            if e.criticalEdges.contains([edge.from, edge.to]) {
                attributes["penwidth"] = "3.5"
                attributes["style"] = (attributes["style"] ?? "solid") + ",bold"
            }
            if e.cycleEdges.contains([edge.from, edge.to]) {
                attributes["color"] = Hue.vermillion
                attributes["penwidth"] = "3.5"
                attributes["fontcolor"] = Hue.vermillion
                attributes["label"] = "cycle"
            }
            d.edges.append(Diagram.Edge(from: from, to: graph.nodes[edge.to].id, attributes: attributes))
        }

        // Playback order, left to right: each scene's clip sits left of the next scene's first frame.
        var previousVideo: String?
        for index in scenes {
            let id = graph.scenes[index].id
            guard graph.indexByID["\(id).video"] != nil else { continue }
            if let previousVideo {
                d.edges.append(Diagram.Edge(from: previousVideo, to: "\(id).first_frame", attributes: ["style": "invis", "weight": "0"]))
            }
            previousVideo = "\(id).video"
        }

        if options.showLegend {
            var legend = legend(types: used, hasCritical: !e.criticalEdges.isEmpty, hasCycle: !e.cycleEdges.isEmpty)
            legend.cluster = "cluster_inputs"
            d.nodes.append(legend)
        }
    }

    /// A node's shape, fill and label by its kind (and model).
    func nodeAttributes(_ index: Int) -> Diagram.Attributes {
        let node = graph.nodes[index]
        let model = (options.models[node.id] ?? node.model).map(shortModelName)
        var attributes: Diagram.Attributes
        switch node.kind {
        case .avatar:
            attributes = ["shape": "ellipse", "fillcolor": "#FFF3D6", "label": "\(node.id)\n\(node.input ?? "")"]
        case .background:
            attributes = ["shape": "tab", "fillcolor": "#E6F0DC", "label": "\(node.id)\n\(node.input ?? "")"]
        case .asset:
            let fill: String
            switch node.slotType {
            case .logo: fill = "#EFE3F3"
            case .referenceImage: fill = "#DDF2EC"
            default: fill = "#FCE6CC"
            }
            attributes = ["shape": "note", "fillcolor": fill, "label": "\(node.id)\n(\(node.slotType?.rawValue ?? "asset"))"]
        case .firstFrame, .lastFrame:
            switch node.job {
            case nil:
                let source = graph.source(ofReuse: index).map { "= \(graph.nodes[$0].id)" } ?? "= ?"
                attributes = ["shape": "box", "style": "rounded,dashed,filled", "fillcolor": "#FFFFFF", "label": "\(node.id)\n\(source)"]
            case .cameraAngle:
                attributes = ["shape": "box", "style": "rounded,filled", "fillcolor": "#FDE9DD", "peripheries": "2",
                              "label": "\(node.id)\ncamera angle · \(model ?? "?")"]
            default:
                attributes = ["shape": "box", "style": "rounded,filled", "fillcolor": "#E4EEFA", "label": "\(node.id)\n\(model ?? "?")"]
            }
        case .audio:
            attributes = ["shape": "cds", "fillcolor": "#E3F3FB", "label": "\(node.id)\n\(model ?? "?")"]
        case .video:
            attributes = ["shape": "box", "style": "filled", "fillcolor": "#F6E4EE",
                          "label": "\(node.id)\n\(node.clipSeconds.map { "\(formatNumber($0)) s · " } ?? "")\(model ?? "?")"]
        case .final:
            attributes = ["shape": "doubleoctagon", "fillcolor": "#EEEEEE", "label": "final.video\ncut & combine"]
        }
        attributes["id"] = node.id
        return attributes
    }
}
