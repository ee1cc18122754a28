import Foundation
import HeapModule
import SceneFlowBasics

/// `sceneflow plan`: what a run would do, in what order, how long and at what cost — without
/// generating anything.
public struct Plan: Sendable {
    public struct Job: Sendable {
        public var node: Int
        public var id: String
        public var model: String?
        public var provider: Provider?
        public var seconds: Double
        public var cost: Money
        /// Its output is already in the cache: a run reuses it, at no cost and in no time.
        public var cached: Bool
        /// Outside the run's targets: it does not run.
        public var skipped: Bool
        /// Simulated start and finish (seconds from the start of the run).
        public var start: Double
        public var finish: Double

        /// A job a run would actually make.
        public var runs: Bool { provider != nil && !cached && !skipped }
    }

    public struct ProviderSummary: Sendable {
        public var provider: Provider
        /// Jobs that would run on it (not cached, not skipped).
        public var jobs: Int
        public var cached: Int
        public var limit: Int
        /// Sum of job durations on this provider.
        public var busySeconds: Double
        public var cost: Money
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
    /// What the jobs that would run cost (cached and skipped ones cost nothing).
    public var totalCost: Money { providers.map(\.cost).sum() }
    /// What every job would cost with nothing cached.
    public var fullCost: Money { jobs.reduce(.zero) { $1.provider != nil && !$1.skipped ? $0 + $1.cost : $0 } }

    /// The best any scheduler could do: max(critical path, work ÷ capacity for each provider,
    /// all work ÷ global concurrency).
    public var lowerBound: Double {
        var bound = criticalSeconds
        for p in providers { bound = max(bound, p.busySeconds / Double(p.limit)) }
        let work = providers.reduce(0) { $0 + $1.busySeconds }
        return max(bound, work / Double(max(1, limits.concurrency)))
    }

    /// Jobs a run would make.
    public var runningCount: Int { jobs.reduce(0) { $1.runs ? $0 + 1 : $0 } }
    public var cachedCount: Int { jobs.reduce(0) { $1.provider != nil && $1.cached && !$1.skipped ? $0 + 1 : $0 } }
    public var generationCount: Int { jobs.reduce(0) { $1.provider != nil && !$1.skipped ? $0 + 1 : $0 } }
}

public enum Planner {
    /// Plans a graph; `nil` if it has a cycle. `cached` nodes (known to be in the cache) take no
    /// time and cost nothing; nodes outside `targets` (with what they need) are skipped.
    /// O((V + E) log V).
    public static func plan(_ graph: SceneGraph, limits: RunLimits = RunLimits(), registry: ModelRegistry = .standard,
                            offline: Bool = false, targets: Set<String>? = nil, cached: Set<Int> = []) -> Plan? {
        guard let order = graph.topologicalOrder() else { return nil }
        let count = graph.nodes.count
        let selected = RunSelection.selected(graph, targets: targets)
        var jobs: [Plan.Job] = []
        jobs.reserveCapacity(count)
        for i in 0..<count {
            let model = graph.model(of: i, registry: registry, offline: offline)
            let estimate = graph.estimate(of: i, model: model)
            let isCached = cached.contains(i), skipped = selected.map { !$0[i] } ?? false
            jobs.append(Plan.Job(node: i, id: graph.nodes[i].id, model: model?.id, provider: model?.provider,
                                 seconds: isCached || skipped ? 0 : estimate.seconds, cost: estimate.cost,
                                 cached: isCached, skipped: skipped, start: 0, finish: 0))
        }
        let critical = GraphAlgorithms.criticalPath(order: order, count: count, weight: { jobs[$0].seconds }) { graph.successors[$0] }
        let waves = GraphAlgorithms.waves(order: order, count: count, isStep: { jobs[$0].runs }) { graph.successors[$0] }
        let makespan = simulate(graph: graph, jobs: &jobs, priority: critical.remaining, limits: limits, selected: selected)

        var summaries: [Provider: Plan.ProviderSummary] = [:]
        for job in jobs where !job.skipped {
            guard let provider = job.provider else { continue }
            var summary = summaries[provider] ?? Plan.ProviderSummary(provider: provider, jobs: 0, cached: 0, limit: limits.limit(for: provider),
                                                                      busySeconds: 0, cost: .zero)
            if job.cached {
                summary.cached += 1
            } else {
                summary.jobs += 1
                summary.busySeconds += job.seconds
                summary.cost = summary.cost + job.cost
            }
            summaries[provider] = summary
        }
        return Plan(graph: graph, limits: limits, order: order, waves: waves, criticalPath: critical.path,
                    criticalSeconds: critical.length, jobs: jobs, makespan: makespan,
                    providers: summaries.values.sorted { $0.provider < $1.provider })
    }

    /// Event-driven list scheduling with the run's own `Schedule`: among ready jobs the longest
    /// remaining critical path starts first, within the global and per-provider limits;
    /// zero-time nodes (inputs, reuses, cache hits) complete at once without taking a slot.
    public static func simulate(graph: SceneGraph, jobs: inout [Plan.Job], priority: [Double], limits: RunLimits, selected: [Bool]? = nil) -> Double {
        struct Running: Comparable {
            var finish: Double
            var node: Int
            static func < (a: Running, b: Running) -> Bool { (a.finish, a.node) < (b.finish, b.node) }
        }
        var schedule = Schedule(graph: graph, priority: priority, limits: limits, selected: selected)
        var running = Heap<Running>()
        var now = 0.0
        while true {
            while let i = schedule.nextReady() {
                guard let provider = jobs[i].provider, jobs[i].seconds > 0 else {
                    jobs[i].start = now; jobs[i].finish = now
                    schedule.end(i, .succeeded)
                    continue
                }
                schedule.enqueue(i, on: provider)
            }
            while let i = schedule.nextStart() {
                jobs[i].start = now
                jobs[i].finish = now + jobs[i].seconds
                running.insert(Running(finish: jobs[i].finish, node: i))
            }
            guard let next = running.popMin() else { break }
            now = next.finish
            var finished = [next.node]
            while let peek = running.min, peek.finish == now { finished.append(running.popMin()!.node) }
            for i in finished { schedule.end(i, .succeeded) }
        }
        return now
    }
}
