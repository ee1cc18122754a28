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

/// `sceneflow plan`: what a run would do, in what order, how long and at what cost — without
/// generating anything.
public struct Plan: Sendable {
    public struct Job: Sendable {
        public var node: Int
        public var id: String
        public var model: String?
        public var provider: Provider?
        public var seconds: Double
        public var cost: Double
        /// Simulated start and finish (seconds from the start of the run).
        public var start: Double
        public var finish: Double
    }

    public struct ProviderSummary: Sendable {
        public var provider: Provider
        public var jobs: Int
        public var limit: Int
        /// Sum of job durations on this provider.
        public var busySeconds: Double
        public var cost: Double
    }

    public var graph: SceneGraph
    public var limits: RunLimits
    /// Topological order, ties in scene order.
    public var order: [Int]
    public var waves: [[Int]]
    public var criticalPath: [Int]
    public var criticalSeconds: Double
    /// Every node, indexed like the graph.
    public var jobs: [Job]
    /// Simulated wall time under the limits.
    public var makespan: Double
    public var providers: [ProviderSummary]
    public var totalCost: Double { providers.reduce(0) { $0 + $1.cost } }

    /// The best any scheduler could do: max(critical path, work ÷ capacity for each provider,
    /// all work ÷ global concurrency).
    public var lowerBound: Double {
        var bound = criticalSeconds
        for p in providers { bound = max(bound, p.busySeconds / Double(p.limit)) }
        let work = providers.reduce(0) { $0 + $1.busySeconds }
        return max(bound, work / Double(max(1, limits.concurrency)))
    }

    /// Jobs that generate something (inputs and reused frames do not).
    public var generationCount: Int { jobs.filter { $0.provider != nil }.count }
}

public enum Planner {
    /// Plans a graph; `nil` if it has a cycle. O((V + E) log V).
    public static func plan(_ graph: SceneGraph, limits: RunLimits = RunLimits(), registry: ModelRegistry = .standard,
                            offline: Bool = false) -> Plan? {
        guard let order = graph.topologicalOrder() else { return nil }
        let count = graph.nodes.count
        var jobs: [Plan.Job] = []
        jobs.reserveCapacity(count)
        for i in 0..<count {
            let model = graph.model(of: i, registry: registry, offline: offline)
            let estimate = graph.estimate(of: i, model: model)
            jobs.append(Plan.Job(node: i, id: graph.nodes[i].id, model: model?.id, provider: model?.provider,
                                 seconds: estimate.seconds, cost: estimate.cost, start: 0, finish: 0))
        }
        let critical = GraphAlgorithms.criticalPath(order: order, count: count, weight: { jobs[$0].seconds }) { graph.successors[$0] }
        let waves = GraphAlgorithms.waves(order: order, count: count, isStep: { jobs[$0].provider != nil }) { graph.successors[$0] }
        let makespan = simulate(graph: graph, jobs: &jobs, priority: critical.remaining, limits: limits)

        var summaries: [Provider: Plan.ProviderSummary] = [:]
        for job in jobs {
            guard let provider = job.provider else { continue }
            var summary = summaries[provider] ?? Plan.ProviderSummary(provider: provider, jobs: 0, limit: limits.limit(for: provider), busySeconds: 0, cost: 0)
            summary.jobs += 1
            summary.busySeconds += job.seconds
            summary.cost += job.cost
            summaries[provider] = summary
        }
        return Plan(graph: graph, limits: limits, order: order, waves: waves, criticalPath: critical.path,
                    criticalSeconds: critical.length, jobs: jobs, makespan: makespan,
                    providers: summaries.values.sorted { $0.provider < $1.provider })
    }

    /// Event-driven list scheduling, the same policy as the run scheduler: among ready jobs the
    /// longest remaining critical path starts first, within the global and per-provider limits;
    /// zero-time nodes (inputs, reuses) complete at once without taking a slot.
    public static func simulate(graph: SceneGraph, jobs: inout [Plan.Job], priority: [Double], limits: RunLimits) -> Double {
        typealias Ready = ProviderQueues.Item
        struct Running: Comparable {
            var finish: Double
            var node: Int
            static func < (a: Running, b: Running) -> Bool { (a.finish, a.node) < (b.finish, b.node) }
        }
        let count = graph.nodes.count
        var waiting = graph.predecessors.map(\.count)
        var ready = Heap<Ready>()
        var running = Heap<Running>()
        var slots = ProviderQueues()
        var now = 0.0
        var makespan = 0.0
        var completed = 0

        func release(_ node: Int) {
            for next in graph.successors[node] {
                waiting[next] -= 1
                if waiting[next] == 0 { ready.insert(Ready(priority: priority[next], node: next)) }
            }
        }
        for i in 0..<count where waiting[i] == 0 { ready.insert(Ready(priority: priority[i], node: i)) }

        while completed < count {
            // Zero-time nodes (inputs, reuses) complete at once; jobs wait for a slot.
            while let item = ready.popMin() {
                let i = item.node
                guard let provider = jobs[i].provider, jobs[i].seconds > 0 else {
                    jobs[i].start = now; jobs[i].finish = now
                    completed += 1
                    release(i)
                    continue
                }
                slots.enqueue(i, priority: item.priority, provider: provider)
            }
            while let (i, _) = slots.next(limits: limits) {
                jobs[i].start = now
                jobs[i].finish = now + jobs[i].seconds
                running.insert(Running(finish: jobs[i].finish, node: i))
            }
            guard let next = running.popMin() else { break }
            now = next.finish
            makespan = max(makespan, now)
            var finished = [next.node]
            while let peek = running.min, peek.finish == now { finished.append(running.popMin()!.node) }
            for i in finished {
                slots.release(jobs[i].provider!)
                completed += 1
                release(i)
            }
        }
        return makespan
    }
}
