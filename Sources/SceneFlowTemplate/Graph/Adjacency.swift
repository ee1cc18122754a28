/// Per-node lists (successors, predecessors, incoming edges) in two flat arrays: `offsets[i]`
/// to `offsets[i + 1]` of `items` are node `i`'s (compressed sparse rows). A 100,000-scene graph
/// has 400,000 nodes: one array per node would be 1.2 million small heap blocks for the three
/// lists, here it is six arrays. Node `i`'s list is `self[i]`, in the order its edges were added.
public struct Adjacency<Element: Sendable>: RandomAccessCollection, Sendable {
    private var offsets: [Int]
    private var items: [Element]

    public var startIndex: Int { 0 }
    public var endIndex: Int { offsets.count - 1 }
    public subscript(node: Int) -> ArraySlice<Element> { items[offsets[node]..<offsets[node + 1]] }

    /// Lists for nodes `0..<count` from `source`: each item goes to node `node(item)` as
    /// `element(item)`, each list in `source`'s order (a stable counting sort, no intermediate
    /// arrays). O(count + source.count).
    public init<Source: Collection>(count: Int, from source: Source, node: (Source.Element) -> Int, element: (Source.Element) -> Element) {
        var offsets = [Int](repeating: 0, count: count + 1)
        for item in source { offsets[node(item) + 1] += 1 }
        for i in 0..<count { offsets[i + 1] += offsets[i] }
        var next = offsets
        self.items = Array(unsafeUninitializedCapacity: source.count) { buffer, initialized in
            for item in source {
                let n = node(item)
                (buffer.baseAddress! + next[n]).initialize(to: element(item))
                next[n] += 1
            }
            initialized = source.count
        }
        self.offsets = offsets
    }

    /// From one array per node (tests, small graphs).
    public init(_ lists: [[Element]]) {
        let pairs = lists.enumerated().flatMap { node, list in list.map { (node, $0) } }
        self.init(count: lists.count, from: pairs, node: \.0, element: \.1)
    }
}
