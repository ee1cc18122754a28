/// A drawing of a graph as Graphviz attributes: plain data, so that what a diagram shows is
/// decided (and tested) in Swift, and only `SceneFlowGraphviz` turns it into libcgraph objects.
public struct Diagram: Sendable, Equatable {
    public typealias Attributes = [String: String]

    /// How node positions are found.
    public enum Layout: String, Sendable, Equatable {
        /// dot's ranking (small diagrams: every scene in full, left to right).
        case ranked
        /// Positions and edge routes computed in Swift (`Node.position`, `Edge.route`): large
        /// diagrams, in playback order by construction, linear time; Graphviz only draws them.
        case fixed
    }

    /// A point in Graphviz's coordinates (points, y up).
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(_ x: Double, _ y: Double) {
            self.x = x
            self.y = y
        }
    }

    public struct Node: Sendable, Equatable {
        public var id: String
        public var attributes: Attributes
        /// The cluster the node is drawn in, if any.
        public var cluster: String?
        /// Its centre, for a `.fixed` layout.
        public var position: Point?
        /// What its SVG `<title>` says (the browser's tooltip): what it is, model, prompt, status, error.
        public var tooltip: String?

        public init(id: String, attributes: Attributes, cluster: String? = nil, position: Point? = nil, tooltip: String? = nil) {
            self.id = id
            self.attributes = attributes
            self.cluster = cluster
            self.position = position
            self.tooltip = tooltip
        }
    }

    public struct Edge: Sendable, Equatable {
        public var from: String
        public var to: String
        public var attributes: Attributes
        /// A polyline from tail to head, for a `.fixed` layout (a straight line when nil).
        public var route: [Point]?

        public init(from: String, to: String, attributes: Attributes, route: [Point]? = nil) {
            self.from = from
            self.to = to
            self.attributes = attributes
            self.route = route
        }
    }

    public struct Cluster: Sendable, Equatable {
        /// Graphviz draws a subgraph as a box only if its name starts with "cluster".
        public var id: String
        public var attributes: Attributes
        public var tooltip: String?

        public init(id: String, attributes: Attributes, tooltip: String? = nil) {
            self.id = id
            self.attributes = attributes
            self.tooltip = tooltip
        }
    }

    public var name: String
    public var layout: Layout = .ranked
    public var graphAttributes: Attributes = [:]
    public var nodeDefaults: Attributes = [:]
    public var edgeDefaults: Attributes = [:]
    public var clusters: [Cluster] = []
    public var nodes: [Node] = []
    public var edges: [Edge] = []

    public init(name: String) {
        self.name = name
    }

    /// Every `<title>` the SVG should carry, by the SVG id of its element.
    public var tooltips: [String: String] {
        var result: [String: String] = [:]
        for node in nodes { if let tooltip = node.tooltip { result[node.attributes["id"] ?? node.id] = tooltip } }
        for cluster in clusters { if let tooltip = cluster.tooltip, let id = cluster.attributes["id"] { result[id] = tooltip } }
        return result
    }
}

/// Output formats of `sceneflow graph`.
public enum DiagramFormat: String, Sendable, CaseIterable {
    case svg, png, pdf, dot, json

    /// By a file name's extension (`graph.svg` → `.svg`).
    public init?(fileExtension: String) {
        let ext = fileExtension.lowercased()
        self.init(rawValue: ext == "gv" ? "dot" : ext)
    }
}
