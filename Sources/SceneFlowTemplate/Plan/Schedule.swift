import HeapModule

/// Limits a run (or a plan) works within.
public struct RunLimits: Sendable, Equatable {
    /// Jobs in flight at once across all providers (`--concurrency`).
    public var concurrency: Int = 8
    /// Per-provider overrides of `Provider.defaultConcurrency`.
    public var providerLimits: [Provider: Int] = [:]

    public init(concurrency: Int = 8, providerLimits: [Provider: Int] = [:]) {
        self.concurrency = concurrency
        self.providerLimits = providerLimits
    }

    public func limit(for provider: Provider) -> Int {
        max(1, providerLimits[provider] ?? provider.defaultConcurrency)
    }
}

/// A run's schedule as a plain value, owned by the one task that drives the run (and by the
/// planner's simulation, so a plan predicts the order a run uses). It knows which nodes wait
/// for inputs, which are ready to be prepared, which jobs wait for a slot, which run, and how
/// each ended; it decides what starts next; it does no I/O and has no clock.
///
/// Policy: among ready nodes, the one with the longest remaining critical path (`priority`)
/// first, ties by node index (scene order); a job starts when both the global concurrency and
/// its provider's limit have room. Nodes outside `selected` (a run's targets and what they need)
/// are skipped from the start.
public struct Schedule: Sendable {
    public private(set) var status: [NodeStatus]
    private var waiting: [Int]
    private var ready = Heap<ProviderQueues.Item>()
    private var queues = ProviderQueues()
    private var running: [Int: Provider] = [:]
    private let successors: Adjacency<Int>
    private let priority: [Double]
    public let limits: RunLimits
    /// Nodes not yet ended (succeeded, cached, failed, blocked, skipped).
    public private(set) var open: Int

    public init(successors: Adjacency<Int>, predecessors: Adjacency<Int>, priority: [Double], limits: RunLimits, selected: [Bool]? = nil) {
        let count = successors.count
        self.successors = successors
        self.priority = priority
        self.limits = limits
        status = Array(repeating: .pending, count: count)
        waiting = predecessors.map(\.count)
        open = count
        if let selected {
            for i in 0..<count where !selected[i] {
                status[i] = .skipped
                open -= 1
            }
        }
        for i in 0..<count where waiting[i] == 0 && status[i] == .pending {
            ready.insert(.init(priority: priority[i], node: i))
        }
    }

    public init(graph: SceneGraph, priority: [Double], limits: RunLimits, selected: [Bool]? = nil) {
        self.init(successors: graph.successors, predecessors: graph.predecessors, priority: priority, limits: limits, selected: selected)
    }

    /// The most urgent node whose inputs are all done, to be prepared (an input, a reuse or a
    /// cache hit ends at once; a job is `enqueue`d).
    public mutating func nextReady() -> Int? {
        while let item = ready.popMin() {
            if status[item.node] == .pending { return item.node }
        }
        return nil
    }

    /// A prepared job waits for a slot on its provider.
    public mutating func enqueue(_ node: Int, on provider: Provider) {
        queues.enqueue(node, priority: priority[node], provider: provider)
    }

    /// The next queued job the limits let start now; it takes its slot and is `running`.
    public mutating func nextStart() -> Int? {
        while let (node, provider) = queues.next(limits: limits) {
            guard status[node] == .pending else { queues.release(provider); continue }
            status[node] = .running
            running[node] = provider
            return node
        }
        return nil
    }

    /// Jobs holding a slot.
    public var inFlight: Int { running.count }

    /// Ends `node` with `outcome`. A done node (succeeded, cached) releases its dependents; a
    /// failed one blocks every descendant still pending, which is returned (in index order).
    @discardableResult
    public mutating func end(_ node: Int, _ outcome: NodeStatus) -> [Int] {
        if let provider = running.removeValue(forKey: node) { queues.release(provider) }
        guard status[node] == .pending || status[node] == .running else { return [] }
        status[node] = outcome
        open -= 1
        if outcome.isDone {
            for next in successors[node] {
                waiting[next] -= 1
                if waiting[next] == 0 && status[next] == .pending { ready.insert(.init(priority: priority[next], node: next)) }
            }
            return []
        }
        guard outcome == .failed || outcome == .blocked else { return [] }
        let blocked = GraphAlgorithms.reachable(from: [node], count: status.count) { successors[$0] }
            .filter { $0 != node && status[$0] == .pending }.sorted()
        for d in blocked {
            status[d] = .blocked
            open -= 1
        }
        return blocked
    }

    /// Stops the schedule (Ctrl-C, fail-fast): every node not yet ended and not running is
    /// `skipped` and returned; running jobs end as they report back.
    @discardableResult
    public mutating func stop() -> [Int] {
        var skipped: [Int] = []
        for i in status.indices where status[i] == .pending {
            status[i] = .skipped
            skipped.append(i)
        }
        open -= skipped.count
        return skipped
    }
}

/// Jobs waiting for a slot, one queue per provider, and the rule for which starts next: the
/// most urgent head among providers that have a free slot. Starting a job is
/// O(providers · log n); a full provider never makes the others rescan.
struct ProviderQueues: Sendable {
    /// Higher priority first, then lower node index (scene order).
    struct Item: Comparable, Sendable {
        var priority: Double
        var node: Int
        static func < (a: Item, b: Item) -> Bool { (a.priority, -a.node) > (b.priority, -b.node) }
    }

    private var queues: [Provider: Heap<Item>] = [:]
    private(set) var inFlight: [Provider: Int] = [:]
    private(set) var total = 0

    mutating func enqueue(_ node: Int, priority: Double, provider: Provider) {
        queues[provider, default: Heap()].insert(Item(priority: priority, node: node))
    }

    /// Takes a slot for the next job to start, if the limits allow one.
    mutating func next(limits: RunLimits) -> (node: Int, provider: Provider)? {
        guard total < limits.concurrency else { return nil }
        var best: (provider: Provider, item: Item)?
        for (provider, queue) in queues where inFlight[provider, default: 0] < limits.limit(for: provider) {
            guard let top = queue.min else { continue }
            if best == nil || top < best!.item { best = (provider, top) }
        }
        guard let (provider, item) = best else { return nil }
        _ = queues[provider]!.popMin()
        inFlight[provider, default: 0] += 1
        total += 1
        return (item.node, provider)
    }

    mutating func release(_ provider: Provider) {
        inFlight[provider, default: 1] -= 1
        total -= 1
    }
}
