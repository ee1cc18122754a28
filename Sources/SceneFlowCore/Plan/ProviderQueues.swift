import HeapModule

/// Jobs waiting for a slot, one queue per provider, and the rule for which starts next: the
/// most urgent head among providers that have a free slot. Shared by the run engine and the
/// planner's simulation, so a plan predicts the order a run uses. Starting a job is
/// O(providers · log n); a full provider never makes the others rescan.
struct ProviderQueues {
    /// Higher priority first, then lower node index (scene order).
    struct Item: Comparable {
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
