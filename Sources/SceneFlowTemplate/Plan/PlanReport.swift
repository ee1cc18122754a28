import Foundation
import SceneFlowBasics

/// Text and JSON forms of a `Plan`.
public enum PlanReport {
    public static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let s = Int(seconds.rounded())
        return s < 3600 ? String(format: "%dm %02ds", s / 60, s % 60) : String(format: "%dh %02dm", s / 3600, (s % 3600) / 60)
    }

    /// At most `limit` names, then "… and N more".
    static func list(_ names: [String], separator: String, limit: Int?) -> String {
        guard let limit, names.count > limit else { return names.joined(separator: separator) }
        return names.prefix(limit).joined(separator: separator) + "\(separator)… and \(names.count - limit) more (--verbose lists all)"
    }

    /// The plan for people: summaries, aligned columns at any size; `verbose` lists every wave
    /// and the whole order.
    public static func text(_ plan: Plan, title: String, verbose: Bool = false) -> String {
        let g = plan.graph
        let limit = verbose ? nil : 12
        var lines: [String] = []
        lines.append("Plan for \(title): \(g.nodes.count) nodes, \(plan.generationCount) jobs"
                     + (plan.cachedCount > 0 ? " (\(plan.cachedCount) already in the cache)" : "")
                     + (plan.jobs.contains { $0.skipped } ? ", \(plan.jobs.filter { $0.skipped && $0.provider != nil }.count) not needed by the targets" : ""))
        lines.append("Limits: \(plan.limits.concurrency) at once; per provider: " + plan.providers.map { "\($0.provider.rawValue) \($0.limit)" }.joined(separator: ", "))
        lines.append("")
        let waves = plan.waves.map { $0.filter { plan.jobs[$0].runs }.map { g.nodes[$0].id } }.filter { !$0.isEmpty }
        lines.append("Waves: \(waves.count) (jobs in one wave can run together; the largest has \(waves.map(\.count).max() ?? 0))")
        for (n, wave) in waves.enumerated() where verbose || n < 6 {
            lines.append("  \(n + 1). " + list(wave, separator: ", ", limit: limit))
        }
        if !verbose && waves.count > 6 { lines.append("  … \(waves.count - 6) more waves (--verbose lists all)") }
        lines.append("")
        lines.append("Order: " + list(plan.order.filter { plan.jobs[$0].runs }.map { g.nodes[$0].id }, separator: " → ", limit: limit))
        lines.append("")
        lines.append("Critical path (\(duration(plan.criticalSeconds))): "
                     + list(plan.criticalPath.filter { plan.jobs[$0].seconds > 0 }.map { g.nodes[$0].id }, separator: " → ", limit: limit))
        lines.append("Estimated wall time: \(duration(plan.makespan)) (lower bound \(duration(plan.lowerBound)))")
        lines.append("")
        var rows = [["PROVIDER", "JOBS", "CACHED", "LIMIT", "BUSY", "COST"]]
        for p in plan.providers {
            rows.append([p.provider.rawValue, String(p.jobs), String(p.cached), String(p.limit), duration(p.busySeconds), p.cost.description])
        }
        lines.append(TextTable.render(rows, rightAligned: [1, 2, 3, 4, 5]))
        var cost = "Estimated cost: \(plan.totalCost) for the \(plan.runningCount) jobs that would run"
        if plan.cachedCount > 0 { cost += " (\(plan.cachedCount) cached jobs cost nothing; \(plan.fullCost) with nothing cached)" }
        lines.append(cost + " — list prices; plan generates nothing")
        return lines.joined(separator: "\n")
    }

    /// The plan for programs, written as it is produced (`emit` receives chunks): every job, wave
    /// and order entry; money as decimals to the cent.
    public static func json(_ plan: Plan, emit: ([UInt8]) -> Void) {
        let g = plan.graph
        var w = JSONWriter()
        func flush() { if w.bytes.count > 1 << 16 { emit(w.takeBytes()) } }
        w.beginObject()
        w.key("jobs_total"); w.int(plan.generationCount)
        w.key("jobs_to_run"); w.int(plan.runningCount)
        w.key("jobs_cached"); w.int(plan.cachedCount)
        w.key("concurrency"); w.int(plan.limits.concurrency)
        w.key("critical_path_seconds"); w.number(plan.criticalSeconds)
        w.key("estimated_seconds"); w.number(plan.makespan)
        w.key("lower_bound_seconds"); w.number(plan.lowerBound)
        w.key("estimated_cost"); w.money(plan.totalCost)
        w.key("estimated_cost_uncached"); w.money(plan.fullCost)
        w.key("providers"); w.beginArray()
        for p in plan.providers {
            w.beginObject()
            w.key("provider"); w.string(p.provider.rawValue)
            w.key("jobs"); w.int(p.jobs)
            w.key("cached"); w.int(p.cached)
            w.key("limit"); w.int(p.limit)
            w.key("busy_seconds"); w.number(p.busySeconds)
            w.key("cost"); w.money(p.cost)
            w.endObject()
        }
        w.endArray()
        w.newline()
        w.key("critical_path"); w.beginArray()
        for i in plan.criticalPath where plan.jobs[i].seconds > 0 { w.string(g.nodes[i].id); flush() }
        w.endArray()
        w.newline()
        w.key("order"); w.beginArray()
        for i in plan.order where plan.jobs[i].runs { w.string(g.nodes[i].id); flush() }
        w.endArray()
        w.newline()
        w.key("waves"); w.beginArray()
        for wave in plan.waves {
            let members = wave.filter { plan.jobs[$0].runs }
            guard !members.isEmpty else { continue }
            w.beginArray()
            for i in members { w.string(g.nodes[i].id) }
            w.endArray()
            flush()
        }
        w.endArray()
        w.newline()
        w.key("jobs"); w.beginArray()
        for i in plan.order where plan.jobs[i].provider != nil {
            let j = plan.jobs[i]
            w.newline()
            w.beginObject()
            w.key("id"); w.string(j.id)
            w.key("model"); w.string(j.model)
            w.key("provider"); w.string(j.provider?.rawValue)
            w.key("status"); w.string(j.skipped ? "skipped" : j.cached ? "cached" : "runs")
            w.key("seconds"); w.number(j.seconds)
            w.key("cost"); w.money(j.runs ? j.cost : .zero)
            w.key("start"); w.number(j.start)
            w.key("finish"); w.number(j.finish)
            w.endObject()
            flush()
        }
        w.endArray()
        w.endObject()
        w.newline()
        emit(w.takeBytes())
    }

    /// The JSON plan as one string (small plans, tests).
    public static func json(_ plan: Plan) -> String {
        var bytes: [UInt8] = []
        json(plan) { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
