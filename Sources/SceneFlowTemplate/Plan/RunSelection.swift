/// Which nodes a run makes: targets (node ids, scene ids, stages) with everything they need,
/// and which it makes again (`--regenerate`) with everything after them.
public enum RunSelection {
    /// The stages a target may name.
    public enum Stage: String, CaseIterable, Sendable {
        /// Every first, last and camera-angle frame (the team's "hydrate" step, to review).
        case frames
        /// Every voice-over.
        case audio
        /// Every scene's clip.
        case clips
        /// The final cut (everything).
        case final

        func contains(_ node: SceneGraph.Node) -> Bool {
            switch self {
            case .frames: return node.kind.isFrame
            case .audio: return node.kind == .audio
            case .clips: return node.kind == .video
            case .final: return node.kind == .final
            }
        }
    }

    public struct UnknownTarget: Error, Sendable, CustomStringConvertible {
        public var target: String
        public var description: String
    }

    /// Node ids for targets given as a node id (`hook.first_frame`), a scene id (`hook`: all its
    /// nodes) or a stage (`frames`, `audio`, `clips`, `final`). An unknown target names the
    /// valid ones nearest to it.
    public static func nodes(for targets: [String], in graph: SceneGraph) throws(UnknownTarget) -> Set<String> {
        var result = Set<String>()
        for target in targets {
            if let stage = Stage(rawValue: target) {
                result.formUnion(graph.nodes.filter { stage.contains($0) }.map(\.id))
            } else if graph.indexByID[target] != nil {
                result.insert(target)
            } else if graph.scenes.contains(where: { $0.id == target }) {
                result.formUnion(graph.nodes.filter { $0.scene == target }.map(\.id))
            } else {
                throw UnknownTarget(target: target, description: unknown(target, in: graph, what: "target"))
            }
        }
        return result
    }

    /// Node ids for `--regenerate`: generated node ids, scene ids (all of a scene's generated
    /// nodes) or stages (`frames`: every generated frame). An input (avatar, background, product
    /// asset) or a reused frame makes nothing, so naming one is an error that says what would.
    public static func regenerated(_ names: [String], in graph: SceneGraph) throws(UnknownTarget) -> Set<String> {
        var result = Set<String>()
        for name in names {
            if let stage = Stage(rawValue: name) {
                result.formUnion(graph.nodes.filter { stage.contains($0) && $0.generates }.map(\.id))
            } else if let i = graph.indexByID[name] {
                let node = graph.nodes[i]
                guard node.generates else {
                    let what: String
                    if node.kind.isInput {
                        let flag = node.kind == .avatar ? "--avatar" : node.kind == .background ? "--background" : "--asset"
                        let id = node.id.drop { $0 != ":" }.dropFirst()
                        what = "\(name) is an input, not something a run makes; to change it, give another file (\(flag) \(id)=PATH)"
                    } else {
                        let source = graph.source(ofReuse: i).map { graph.nodes[$0].id } ?? "its source"
                        what = "\(name) reuses \(source)'s image and makes nothing of its own; regenerate \(source)"
                    }
                    throw UnknownTarget(target: name, description: what)
                }
                result.insert(node.id)
            } else if graph.scenes.contains(where: { $0.id == name }) {
                result.formUnion(graph.nodes.filter { $0.scene == name && $0.generates }.map(\.id))
            } else {
                throw UnknownTarget(target: name, description: unknown(name, in: graph, what: "node, scene or stage"))
            }
        }
        return result
    }

    /// "no node or scene "hok"; did you mean "hook"? The nodes of scene "hook" are: ..."
    static func unknown(_ name: String, in graph: SceneGraph, what: String) -> String {
        let candidates = Stage.allCases.map(\.rawValue) + graph.scenes.map(\.id) + graph.nodes.map(\.id)
        var suggestion = Suggestions.didYouMean(name, in: candidates)
        // A stage begun but not finished ("fram"): too far for the edit distance, plain to a reader.
        if suggestion.isEmpty, name.count >= 3, let stage = Stage.allCases.map(\.rawValue).first(where: { $0.hasPrefix(name.lowercased()) }) {
            suggestion = "; did you mean \"\(stage)\"?"
        }
        var message = "no \(what) \"\(name)\"\(suggestion)"
        let scenePart = name.split(separator: ".").first.map(String.init) ?? name
        if let scene = graph.scenes.first(where: { $0.id == scenePart }) ?? Suggestions.nearest(to: scenePart, in: graph.scenes.map(\.id)).flatMap({ id in graph.scenes.first { $0.id == id } }) {
            message += "; the nodes of scene \"\(scene.id)\" are \(graph.nodes.filter { $0.scene == scene.id }.map(\.id).joined(separator: ", "))"
        }
        if what == "target" { message += "; stages: \(Stage.allCases.map(\.rawValue).joined(separator: ", "))" }
        return message
    }

    /// Targets and all their ancestors, as a mask; `nil` (everything) without targets.
    public static func selected(_ graph: SceneGraph, targets: Set<String>?) -> [Bool]? {
        guard let targets else { return nil }
        let start = targets.compactMap { graph.indexByID[$0] }
        let needed = GraphAlgorithms.reachable(from: start, count: graph.nodes.count) { graph.predecessors[$0] }
        var mask = [Bool](repeating: false, count: graph.nodes.count)
        for i in needed { mask[i] = true }
        for i in start { mask[i] = true }
        return mask
    }

    /// The nodes `--regenerate` names, by index: each makes a new take. What depends on them is
    /// not forced: a new take is a new input, so their descendants are made again by their keys.
    public static func forced(_ graph: SceneGraph, regenerate: Set<String>) -> Set<Int> {
        Set(regenerate.compactMap { graph.indexByID[$0] }.filter { graph.nodes[$0].generates })
    }
}
