import Foundation

/// More than 20 scenes in full detail: one row per scene, top to bottom in playback order (row
/// k is scene k, by construction). Each row holds the scene's inputs (as one note, so no input
/// edge sweeps across the picture), first frame, last frame, voice-over and clip; edges between
/// scenes run in lanes at the left. Positions are computed here, linear in the number of
/// scenes; Graphviz draws them.
extension DiagramBuilder {
    enum Row {
        static let nodeWidth = 160.0
        static let nodeHeight = 44.0
        static let thumbnailHeight = 150.0
        static let columns: [NodeKind: Double] = [.firstFrame: 205, .lastFrame: 390, .video: 575]
        static let inputsX = 0.0
        static let laneGap = 8.0
    }

    func buildRows(into d: inout Diagram, scenes: [Int]) {
        d.layout = .fixed
        let e = emphasis()
        let thumbnails = !options.thumbnails.isEmpty
        let frameHeight = thumbnails ? Row.thumbnailHeight : Row.nodeHeight
        let rowHeight = frameHeight + 100
        let boxWidth = 760.0, boxCentre = 280.0
        let inView = Set(scenes.map { graph.scenes[$0].id })
        var positions: [Int: Diagram.Point] = [:]
        var sizes: [Int: (Double, Double)] = [:]
        var rowOf: [Int: Double] = [:]
        var y = 0.0
        for index in scenes {
            let scene = graph.scenes[index]
            let top = y
            let cy = top - 34 - frameHeight / 2
            // The scene's box first, so it is drawn behind its nodes.
            d.nodes.append(Diagram.Node(id: "scene:\(scene.id)", attributes: [
                "shape": "box", "style": "rounded,filled", "fillcolor": "#F7F7F7", "color": "#BBBBBB", "fontsize": "13",
                "labelloc": "t", "fixedsize": "true", "width": inch(boxWidth), "height": inch(rowHeight - 16), "id": "scene:\(scene.id)",
                "label": "\(index + 1) · \(scene.id)  (\(facts(scene)))",
            ], position: .init(boxCentre, top - (rowHeight - 16) / 2), tooltip: sceneTooltip(scene, position: index + 1)))
            // Its inputs, as one note.
            let members = graph.nodesOfScene[index]
            let inputs = Set(members.flatMap { graph.incoming[$0].map(\.from) }.filter { graph.nodes[$0].kind.isInput })
            if !inputs.isEmpty {
                let names = inputs.sorted().map { graph.nodes[$0].id }
                d.nodes.append(Diagram.Node(id: "\(scene.id).inputs", attributes: [
                    "shape": "note", "fillcolor": "#FFF8EC", "fontsize": "9", "fixedsize": "true", "id": "\(scene.id).inputs",
                    "width": inch(Row.nodeWidth), "height": inch(Row.nodeHeight + 6),
                    "label": names.prefix(4).map { Self.clip($0, 24) }.joined(separator: "\n") + (names.count > 4 ? "\n+\(names.count - 4)" : ""),
                ], position: .init(Row.inputsX, cy), tooltip: inputs.sorted().map(tooltip).joined(separator: "\n\n")))
            }
            for i in members {
                let node = graph.nodes[i]
                let position: Diagram.Point
                switch node.kind {
                case .audio: position = .init(Row.inputsX, cy - frameHeight / 2 - 30)
                default: position = .init(Row.columns[node.kind] ?? 560, cy)
                }
                var attributes = nodeAttributes(i)
                // Rows are narrow: the model on its own line, shortened.
                if let model = (options.models[node.id] ?? node.model).map(shortModelName), node.generates {
                    attributes["label"] = "\(node.id)\n\(Self.clip(model, 30))" + (node.clipSeconds.map { "\n\(formatNumber($0)) s" } ?? "")
                }
                if e.criticalNodes.contains(i) && node.generates { attributes["penwidth"] = "2.6" }
                applyStatus(node.id, to: &attributes)
                applyThumbnail(node.id, to: &attributes, width: Row.nodeWidth / 72)
                let height = node.kind == .audio ? 36.0 : frameHeight
                attributes.merge(["fixedsize": "true", "width": inch(Row.nodeWidth), "height": inch(height), "fontsize": "9"]) { $1 }
                d.nodes.append(Diagram.Node(id: node.id, attributes: attributes, position: position, tooltip: tooltip(i)))
                positions[i] = position
                sizes[i] = (Row.nodeWidth, height)
                rowOf[i] = top - rowHeight
            }
            y -= rowHeight
        }
        // Inputs no scene uses (a slot declared and never referenced) would otherwise vanish.
        let unused = graph.nodes.indices.filter { graph.nodes[$0].kind.isInput && graph.successors[$0].isEmpty }
        if !unused.isEmpty && options.scenes == nil {
            let names = unused.map { graph.nodes[$0].id }
            d.nodes.append(Diagram.Node(id: "unused.inputs", attributes: [
                "shape": "note", "fillcolor": "#FFFFFF", "color": "#999999", "fontsize": "9", "fixedsize": "true", "id": "unused.inputs",
                "width": inch(Row.nodeWidth), "height": inch(Row.nodeHeight + 6),
                "label": "not used by any scene:\n" + names.prefix(3).map { Self.clip($0, 24) }.joined(separator: "\n") + (names.count > 3 ? "\n+\(names.count - 3)" : ""),
            ], position: .init(Row.inputsX, y - 40), tooltip: unused.map(tooltip).joined(separator: "\n\n")))
        }
        if let final = graph.indexByID["final.video"] {
            var attributes = nodeAttributes(final)
            applyStatus("final.video", to: &attributes)
            attributes["label"] = (attributes["label"] ?? "") + "\n\(graph.scenes.count) clips, in order"
            attributes.merge(["fixedsize": "true", "width": inch(180), "height": inch(60)]) { $1 }
            positions[final] = .init(560, y - 40)
            sizes[final] = (180, 60)
            d.nodes.append(Diagram.Node(id: "final.video", attributes: attributes, position: positions[final], tooltip: tooltip(final)))
        }

        func border(_ i: Int, toward target: Diagram.Point) -> Diagram.Point {
            let p = positions[i]!, (w, h) = sizes[i]!
            let dx = target.x - p.x, dy = target.y - p.y
            if abs(dx) * h > abs(dy) * w { return .init(p.x + (dx > 0 ? w / 2 : -w / 2), p.y) }
            return .init(p.x, p.y + (dy > 0 ? h / 2 : -h / 2))
        }
        var used = Set<EdgeType>()
        var inputEdges = Set<String>()
        var crossing: [(edge: SceneGraph.Edge, span: (Int, Int))] = []
        let rowIndex = Dictionary(uniqueKeysWithValues: scenes.enumerated().map { (graph.scenes[$0.element].id, $0.offset) })
        for edge in graph.edges {
            let from = graph.nodes[edge.from], to = graph.nodes[edge.to]
            var attributes = Self.edgeStyle(edge.type)
            attributes["label"] = nil
            attributes["id"] = "\(from.id)->\(to.id)"
            if e.criticalEdges.contains([edge.from, edge.to]) { attributes["penwidth"] = "3"; attributes["style"] = (attributes["style"] ?? "solid") + ",bold" }
            if e.cycleEdges.contains([edge.from, edge.to]) { attributes["color"] = Hue.vermillion; attributes["penwidth"] = "3" }
            if from.kind.isInput {
                // Drawn once per scene, from the scene's inputs note.
                guard let scene = to.scene, inView.contains(scene), positions[edge.to] != nil, inputEdges.insert(to.id).inserted else { continue }
                let target = positions[edge.to]!, start = Diagram.Point(Row.inputsX + Row.nodeWidth / 2, target.y)
                // Into a first frame straight on; into anything further right over the nodes between.
                let above = target.y + sizes[edge.to]!.1 / 2 + 10
                let route = to.kind == .firstFrame ? [start, border(edge.to, toward: start)]
                    : [.init(start.x, start.y + 8), .init(start.x + 12, start.y + 8), .init(start.x + 12, above), .init(target.x - 40, above),
                       .init(target.x - 40, target.y + sizes[edge.to]!.1 / 2)]
                d.edges.append(Diagram.Edge(from: "\(scene).inputs", to: to.id, attributes: ["color": Hue.grey, "id": "\(scene).inputs->\(to.id)"], route: route))
                continue
            }
            guard positions[edge.from] != nil, positions[edge.to] != nil else { continue }
            if edge.type == .clip {
                // Only the last scene's clip is drawn into the cut; the others join it in order.
                guard from.scene == graph.scenes.last?.id || from.scene == scenes.last.map({ graph.scenes[$0].id }) else { continue }
                used.insert(.clip)
                d.edges.append(Diagram.Edge(from: from.id, to: to.id, attributes: attributes,
                                            route: [border(edge.from, toward: positions[edge.to]!), border(edge.to, toward: positions[edge.from]!)]))
                continue
            }
            used.insert(edge.type)
            if from.scene == to.scene {
                let a = positions[edge.from]!, b = positions[edge.to]!
                var route = [border(edge.from, toward: b), border(edge.to, toward: a)]
                if from.kind == .firstFrame && to.kind == .video && graph.indexByID["\(to.scene ?? "").last_frame"] != nil {
                    // Around the last frame, below it.
                    let below = a.y - sizes[edge.from]!.1 / 2 - 12
                    route = [.init(a.x + 30, a.y - sizes[edge.from]!.1 / 2), .init(a.x + 30, below), .init(b.x - 30, below), .init(b.x - 30, b.y - sizes[edge.to]!.1 / 2)]
                } else if to.kind == .video && from.kind == .audio {
                    let top = b.y - sizes[edge.to]!.1 / 2
                    route = [.init(a.x + Row.nodeWidth / 2, a.y), .init(b.x, a.y), .init(b.x, top)]
                }
                d.edges.append(Diagram.Edge(from: from.id, to: to.id, attributes: attributes, route: route))
            } else if let r1 = from.scene.flatMap({ rowIndex[$0] }), let r2 = to.scene.flatMap({ rowIndex[$0] }) {
                crossing.append((edge, (min(r1, r2), max(r1, r2))))
            }
        }
        // Between scenes: down (or up) a lane at the left, between the rows.
        let lanes = Self.lanes(crossing.map(\.span), limit: 40)
        for (n, item) in crossing.enumerated() {
            let from = graph.nodes[item.edge.from], to = graph.nodes[item.edge.to]
            let a = positions[item.edge.from]!, b = positions[item.edge.to]!
            let x = Row.inputsX - Row.nodeWidth / 2 - 20 - Double(lanes[n]) * Row.laneGap
            let leave = rowOf[item.edge.from]! + 8, arrive = (rowOf[item.edge.to]! + rowHeight) - 8
            var attributes = Self.edgeStyle(item.edge.type)
            attributes["label"] = nil
            attributes["id"] = "\(from.id)->\(to.id)"
            d.edges.append(Diagram.Edge(from: from.id, to: to.id, attributes: attributes, route: [
                .init(a.x + 20, a.y - sizes[item.edge.from]!.1 / 2), .init(a.x + 20, leave), .init(x, leave),
                .init(x, arrive), .init(b.x - 20, arrive), .init(b.x - 20, b.y + sizes[item.edge.to]!.1 / 2),
            ]))
        }
        if options.showLegend {
            var legend = legend(types: used, hasCritical: !e.criticalEdges.isEmpty, hasCycle: !e.cycleEdges.isEmpty)
            legend.position = .init(boxCentre + boxWidth / 2 + 140, -120)
            legend.attributes.merge(["fixedsize": "true", "width": inch(230), "height": inch(24 + 15 * Double(used.count + 2 + Set(options.statuses.values).count))]) { $1 }
            d.nodes.append(legend)
        }
    }
}
