import HeapModule

/// Graph algorithms over nodes `0..<count`, generic over a `successors` closure (SwiftPM's style),
/// so the template's frame graph, the full scene graph and test graphs all share one implementation.
/// Every algorithm is deterministic: ties are broken by node index, which callers make scene order.
public enum GraphAlgorithms {
    /// Kahn's algorithm with a min-heap on node index: among ready nodes the lowest index goes
    /// first, so output follows scene order. O((V + E) log V). Returns `nil` if there is a cycle.
    public static func topologicalOrder<S: Sequence<Int>>(count: Int, successors: (Int) -> S) -> [Int]? {
        var indegree = [Int](repeating: 0, count: count)
        for node in 0..<count {
            for next in successors(node) { indegree[next] += 1 }
        }
        var ready = Heap<Int>()
        for node in 0..<count where indegree[node] == 0 { ready.insert(node) }
        var order: [Int] = []
        order.reserveCapacity(count)
        while let node = ready.popMin() {
            order.append(node)
            for next in successors(node) {
                indegree[next] -= 1
                if indegree[next] == 0 { ready.insert(next) }
            }
        }
        return order.count == count ? order : nil
    }

    /// One cycle per strongly connected component that has one, each as the path of nodes in edge
    /// order starting at the component's lowest index (the caller appends the first node again to
    /// print `a -> b -> a`). Tarjan's algorithm, iterative so deep graphs cannot exhaust the stack.
    /// O(V + E).
    public static func cycles<S: Sequence<Int>>(count: Int, successors: (Int) -> S) -> [[Int]] {
        let components = stronglyConnectedComponents(count: count, successors: successors)
        var result: [[Int]] = []
        for component in components {
            let members = Set(component)
            let start = component.min()!
            if component.count == 1 && !successors(start).contains(start) { continue }
            // Breadth-first search from `start` back to `start` inside the component: a shortest cycle.
            var parent: [Int: Int] = [:]
            var queue = [start]
            var head = 0
            var closing: Int?
            search: while head < queue.count {
                let node = queue[head]; head += 1
                for next in successors(node).sorted() where members.contains(next) {
                    if next == start { closing = node; break search }
                    if parent[next] == nil { parent[next] = node; queue.append(next) }
                }
            }
            guard var node = closing else { continue }
            var path = [node]
            while node != start { node = parent[node]!; path.append(node) }
            result.append(path.reversed())
        }
        return result.sorted { $0[0] < $1[0] }
    }

    /// Tarjan's strongly connected components, iterative. O(V + E).
    public static func stronglyConnectedComponents<S: Sequence<Int>>(count: Int, successors: (Int) -> S) -> [[Int]] {
        var index = [Int](repeating: -1, count: count)
        var lowlink = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var components: [[Int]] = []
        var nextIndex = 0
        for root in 0..<count where index[root] == -1 {
            // Frames of (node, its successors, position in them).
            var work: [(Int, [Int], Int)] = [(root, Array(successors(root)), 0)]
            index[root] = nextIndex; lowlink[root] = nextIndex; nextIndex += 1
            stack.append(root); onStack[root] = true
            while !work.isEmpty {
                let (node, nexts, position) = work[work.count - 1]
                if position < nexts.count {
                    work[work.count - 1].2 += 1
                    let next = nexts[position]
                    if index[next] == -1 {
                        index[next] = nextIndex; lowlink[next] = nextIndex; nextIndex += 1
                        stack.append(next); onStack[next] = true
                        work.append((next, Array(successors(next)), 0))
                    } else if onStack[next] {
                        lowlink[node] = min(lowlink[node], index[next])
                    }
                } else {
                    work.removeLast()
                    if let parent = work.last?.0 { lowlink[parent] = min(lowlink[parent], lowlink[node]) }
                    if lowlink[node] == index[node] {
                        var component: [Int] = []
                        while true {
                            let member = stack.removeLast()
                            onStack[member] = false
                            component.append(member)
                            if member == node { break }
                        }
                        components.append(component)
                    }
                }
            }
        }
        return components
    }

    /// Waves: wave k holds the nodes with k steps on their longest chain of predecessors, i.e.
    /// the nodes that could all run together once the waves before them are done. `isStep` says
    /// which nodes count as a step (inputs and reused frames take no time, so they do not push
    /// their dependents into a later wave). O(V + E) given a topological order.
    public static func waves<S: Sequence<Int>>(order: [Int], count: Int, isStep: (Int) -> Bool = { _ in true },
                                               successors: (Int) -> S) -> [[Int]] {
        var level = [Int](repeating: 0, count: count)
        for node in order {
            let next = level[node] + (isStep(node) ? 1 : 0)
            for s in successors(node) { level[s] = max(level[s], next) }
        }
        var waves: [[Int]] = []
        for node in order {
            while waves.count <= level[node] { waves.append([]) }
            waves[level[node]].append(node)
        }
        return waves.map { $0.sorted() }
    }

    /// Every node reachable from `start` (not including `start` unless on a cycle). O(V + E).
    public static func reachable<S: Sequence<Int>>(from start: [Int], count: Int, successors: (Int) -> S) -> Set<Int> {
        var seen = Set<Int>()
        var stack = start
        while let node = stack.popLast() {
            for next in successors(node) where seen.insert(next).inserted { stack.append(next) }
        }
        return seen
    }

    /// The longest path by node weight through a DAG: its total weight and its nodes in order
    /// (without leading zero-weight nodes).
    /// Also returns, per node, the weight of the heaviest path from it to a sink (its "remaining
    /// critical path", the priority a scheduler uses). O(V + E) given a topological order.
    public static func criticalPath<S: Sequence<Int>>(order: [Int], count: Int, weight: (Int) -> Double,
                                                      successors: (Int) -> S) -> (length: Double, path: [Int], remaining: [Double]) {
        var remaining = [Double](repeating: 0, count: count)
        var next = [Int](repeating: -1, count: count)
        for node in order.reversed() {
            // The heaviest successor; among equals, the lowest index (scene order).
            for s in successors(node) {
                let current = next[node]
                if current == -1 || remaining[s] > remaining[current] || (remaining[s] == remaining[current] && s < current) {
                    next[node] = s
                }
            }
            remaining[node] = weight(node) + (next[node] == -1 ? 0 : remaining[next[node]])
        }
        guard let start = order.max(by: { (remaining[$0], -$0) < (remaining[$1], -$1) }) else { return (0, [], remaining) }
        var path = [start]
        var node = start
        while next[node] != -1 { node = next[node]; path.append(node) }
        // Leading zero-weight nodes (inputs) are not part of what takes time.
        while path.count > 1, weight(path[0]) == 0 { path.removeFirst() }
        return (remaining[start], path, remaining)
    }
}

