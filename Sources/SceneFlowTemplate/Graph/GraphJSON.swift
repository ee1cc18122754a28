import Foundation
import SceneFlowBasics

/// `sceneflow graph --format json`: the contract's node and edge list, with the ids and edge
/// types of template-v1, for other tools.
public enum GraphJSON {
    struct Body: Encodable {
        struct Node: Encodable {
            var id: String
            var kind: String
            var job: String?
            var scene: String?
            var model: String?
            var provider: String?
            var input: String?
            var camera: String?
            var duration_s: Double?
        }
        struct Edge: Encodable {
            var from: String
            var to: String
            var type: String
        }
        var nodes: [Node]
        var edges: [Edge]
    }

    public static func encode(_ graph: SceneGraph, registry: ModelRegistry = .standard) -> String {
        let body = Body(
            nodes: graph.nodes.map { n in
                Body.Node(id: n.id, kind: n.kind.rawValue, job: n.job?.rawValue, scene: n.scene,
                          model: n.generates ? n.model : nil,
                          provider: n.generates ? n.model.flatMap { registry[$0]?.provider.rawValue } : nil,
                          input: n.kind.isInput ? n.input : nil, camera: n.camera,
                          duration_s: n.kind == .video ? n.clipSeconds : nil)
            },
            edges: graph.edges.map { Body.Edge(from: graph.nodes[$0.from].id, to: graph.nodes[$0.to].id, type: $0.type.rawValue) }
        )
        return String(decoding: try! JSONCoding.pretty.encode(body), as: UTF8.self)
    }
}
