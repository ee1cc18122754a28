import Foundation

/// Large templates at a glance: one box per scene, top to bottom in playback order (row k is
/// scene k, by construction), with its key facts — length, speaker, models, how its first frame
/// is made, and for a run its status and first frame — and only the edges between scenes
/// (continuity, reuse, camera angle), routed in lanes beside the column so none crosses a box.
/// The shared inputs are drawn once, at the top. Linear in the number of scenes.
extension DiagramBuilder {
    /// Card geometry, in points.
    enum Card {
        static let width = 320.0
        static let height = 70.0
        static let thumbnailHeight = 190.0
        static let gap = 26.0
        static let laneGap = 9.0
        static let maxLanes = 40
    }

    func buildOverview(into d: inout Diagram) {
        d.layout = .fixed
        let thumbnails = !options.thumbnails.isEmpty
        let height = thumbnails ? Card.thumbnailHeight : Card.height
        var y = 0.0
        // Shared inputs, once.
        let inputs = graph.nodes.indices.filter { graph.nodes[$0].kind.isInput }
        if !inputs.isEmpty {
            let lines = inputs.prefix(12).map { i -> String in
                let n = graph.nodes[i]
                return "\(n.id)  \(Self.clip(n.input ?? "", 28))\(n.slotType.map { " (\($0.rawValue))" } ?? "")"
            } + (inputs.count > 12 ? ["… and \(inputs.count - 12) more"] : [])
            let h = 22.0 + Double(lines.count) * 14
            d.nodes.append(Diagram.Node(id: "inputs", attributes: [
                "shape": "note", "fillcolor": "#FFF8EC", "fontsize": "10", "id": "inputs", "fixedsize": "true",
                "width": inch(Card.width), "height": inch(h), "label": "shared inputs\n" + lines.joined(separator: "\n"),
            ], position: .init(0, y - h / 2), tooltip: inputs.map(tooltip).joined(separator: "\n\n")))
            y -= h + Card.gap
        }
        // One card per scene.
        var centre: [Double] = []
        for (k, scene) in graph.scenes.enumerated() {
            let cy = y - height / 2
            centre.append(cy)
            var attributes: Diagram.Attributes = [
                "shape": "box", "style": "rounded,filled", "fillcolor": "#F7F7F7", "color": "#999999", "fontsize": "10",
                "fixedsize": "true", "width": inch(Card.width), "height": inch(height), "id": "scene:\(scene.id)",
                "label": cardLabel(scene, position: k + 1),
            ]
            if let status = sceneStatus(scene) {
                let style = Self.statusStyle(status)
                attributes["fillcolor"] = style.fill
                attributes["color"] = style.border
            }
            if let image = options.thumbnails["\(scene.id).first_frame"] ?? options.thumbnails["\(scene.id).last_frame"] {
                attributes["image"] = image
                attributes["imagescale"] = "true"
                attributes["imagepos"] = "tc"
                attributes["labelloc"] = "b"
            }
            d.nodes.append(Diagram.Node(id: "scene:\(scene.id)", attributes: attributes, position: .init(0, cy),
                                        tooltip: sceneTooltip(scene, position: k + 1)))
            if k > 0 {
                d.edges.append(Diagram.Edge(from: "scene:\(graph.scenes[k - 1].id)", to: "scene:\(scene.id)",
                                            attributes: ["color": "#AAAAAA", "arrowsize": "0.6", "id": "next:\(scene.id)"],
                                            route: [.init(0, centre[k - 1] - height / 2), .init(0, cy + height / 2)]))
            }
            y -= height + Card.gap
        }
        // The final cut.
        if let final = graph.indexByID["final.video"] {
            var attributes = nodeAttributes(final)
            applyStatus("final.video", to: &attributes)
            attributes["label"] = (attributes["label"] ?? "final.video") + "\n\(graph.scenes.count) clips, \(formatNumber(graph.totalSeconds)) s"
            attributes.merge(["fixedsize": "true", "width": inch(2.6 * 72), "height": inch(62)]) { $1 }
            d.nodes.append(Diagram.Node(id: "final.video", attributes: attributes, position: .init(0, y - 31), tooltip: tooltip(final)))
            if let last = graph.scenes.last {
                d.edges.append(Diagram.Edge(from: "scene:\(last.id)", to: "final.video", attributes: ["color": "#444444", "id": "cut"],
                                            route: [.init(0, centre[centre.count - 1] - height / 2), .init(0, y)]))
            }
        }
        // Edges between scenes, in lanes to the right of the column.
        var relations: [(from: Int, to: Int, type: EdgeType, edge: SceneGraph.Edge)] = []
        for edge in graph.edges where [.continuity, .reuse, .cameraAngle].contains(edge.type) {
            guard let a = graph.nodes[edge.from].factsIndex, let b = graph.nodes[edge.to].factsIndex, a != b else { continue }
            relations.append((a, b, edge.type, edge))
        }
        let lanes = Self.lanes(relations.map { (min($0.from, $0.to), max($0.from, $0.to)) }, limit: Card.maxLanes)
        var used = Set<EdgeType>()
        for (n, relation) in relations.enumerated() {
            used.insert(relation.type)
            let x = Card.width / 2 + 18 + Double(lanes[n]) * Card.laneGap
            let from = centre[relation.from] + 8, to = centre[relation.to] - 8
            var attributes = Self.edgeStyle(relation.type)
            attributes["label"] = nil
            attributes["id"] = "\(graph.nodes[relation.edge.from].id)->\(graph.nodes[relation.edge.to].id)"
            d.edges.append(Diagram.Edge(from: "scene:\(graph.scenes[relation.from].id)", to: "scene:\(graph.scenes[relation.to].id)",
                                        attributes: attributes,
                                        route: [.init(Card.width / 2, from), .init(x, from), .init(x, to), .init(Card.width / 2, to)]))
        }
        if options.showLegend {
            var legend = legend(types: used.union([.clip]), hasCritical: false, hasCycle: false)
            legend.position = .init(-Card.width / 2 - 140, -90)
            legend.attributes.merge(["fixedsize": "true", "width": inch(230), "height": inch(24 + 15 * Double(used.count + 1 + Set(options.statuses.values).count))]) { $1 }
            d.nodes.append(legend)
        }
    }

    /// "12 · hook (5 s, speaking, maya)", the models, how the first frame is made, the status.
    func cardLabel(_ scene: SceneFacts, position: Int) -> String {
        var lines = [Self.clip("\(position) · \(scene.id)  (\(facts(scene)))", 52)]
        let frame = options.models["\(scene.id).first_frame"] ?? graph["\(scene.id).first_frame"]?.model
        let clip = options.models["\(scene.id).video"] ?? graph["\(scene.id).video"]?.model
        lines.append(Self.clip([frame, clip].compactMap { $0 }.map(shortModelName).joined(separator: " · "), 56))
        if let first = graph.indexByID["\(scene.id).first_frame"] {
            var how = "first frame: generated"
            for (from, type) in graph.incoming[first] where [.continuity, .reuse, .cameraAngle].contains(type) {
                let source = graph.nodes[from]
                let position = source.factsIndex.map { "\($0 + 1) · " } ?? ""
                switch type {
                case .continuity: how = "opens on \(position)\(source.scene ?? "")'s last frame"
                case .reuse: how = "the same first frame as \(position)\(source.scene ?? "")"
                default: how = "re-shot from \(position)\(source.scene ?? ""): \(graph.nodes[first].camera ?? "")"
                }
            }
            if graph.indexByID["\(scene.id).last_frame"] != nil { how += " · + last frame" }
            lines.append(Self.clip(how, 56))
        }
        if let status = sceneStatus(scene) { lines.append("[\(Self.statusStyle(status).marker)]") }
        return lines.joined(separator: "\n")
    }

    /// A scene's status in a run: failed if any of its nodes failed, then blocked, running,
    /// skipped; done when every node is.
    func sceneStatus(_ scene: SceneFacts) -> NodeStatus? {
        guard !options.statuses.isEmpty, let facts = graph.indexByID["\(scene.id).video"].flatMap({ graph.nodes[$0].factsIndex }) else { return nil }
        let statuses = graph.nodesOfScene[facts].compactMap { options.statuses[graph.nodes[$0].id] }
        guard !statuses.isEmpty else { return nil }
        for status in [NodeStatus.failed, .blocked, .running, .queued, .pending, .skipped] where statuses.contains(status) { return status }
        return statuses.allSatisfy { $0 == .cached } ? .cached : .succeeded
    }

    /// Lanes for vertical spans so that no two overlapping spans share one (greedy by start);
    /// beyond `limit` lanes, spans share the least busy lane.
    static func lanes(_ spans: [(Int, Int)], limit: Int) -> [Int] {
        var ends: [Int] = []
        var result = [Int](repeating: 0, count: spans.count)
        for n in spans.indices.sorted(by: { spans[$0].0 < spans[$1].0 }) {
            let (start, end) = spans[n]
            if let free = ends.firstIndex(where: { $0 < start }) {
                ends[free] = end
                result[n] = free
            } else if ends.count < limit {
                ends.append(end)
                result[n] = ends.count - 1
            } else {
                let lane = ends.indices.min { ends[$0] < ends[$1] }!
                ends[lane] = max(ends[lane], end)
                result[n] = lane
            }
        }
        return result
    }

    static func clip(_ text: String, _ count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count - 1)) + "…"
    }

    func inch(_ points: Double) -> String { String(format: "%.3f", points / 72) }
}
