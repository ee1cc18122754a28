/// A drawing of a graph as Graphviz attributes: plain data, so that what a diagram shows is
/// decided (and tested) in Swift, and only `SceneFlowGraphviz` turns it into libcgraph objects.
public struct Diagram: Sendable, Equatable {
    public typealias Attributes = [String: String]

    public struct Node: Sendable, Equatable {
        public var id: String
        public var attributes: Attributes
        /// The cluster the node is drawn in, if any.
        public var cluster: String?
    }

    public struct Edge: Sendable, Equatable {
        public var from: String
        public var to: String
        public var attributes: Attributes
    }

    public struct Cluster: Sendable, Equatable {
        /// Graphviz draws a subgraph as a box only if its name starts with "cluster".
        public var id: String
        public var attributes: Attributes
    }

    public var name: String
    public var graphAttributes: Attributes = [:]
    public var nodeDefaults: Attributes = [:]
    public var edgeDefaults: Attributes = [:]
    public var clusters: [Cluster] = []
    public var nodes: [Node] = []
    public var edges: [Edge] = []

    public init(name: String) {
        self.name = name
    }
}

/// Output formats of `sceneflow graph`.
public enum DiagramFormat: String, Sendable, CaseIterable {
    case svg, png, pdf, dot, json

    /// By a file name's extension (`graph.svg` → `.svg`).
    public init?(fileExtension: String) {
        self.init(rawValue: fileExtension.lowercased())
        if fileExtension.lowercased() == "gv" { self = .dot }
    }
}
