import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// Something that happened in a run: for the live progress line, `--json` (NDJSON, one event a
/// line) and the server's event streams. Every event of one run carries its run id in JSON.
public enum RunEvent: Sendable {
    /// First: what will run.
    case runStarted(RunStart)
    case started(node: String, attempt: Int, provider: Provider)
    case retrying(node: String, attempt: Int, delay: Double, error: String)
    /// A job ended with an output: made (`succeeded`) or reused from the cache (`cached`).
    case finished(node: String, status: NodeStatus, seconds: Double, output: String?)
    case failed(node: String, error: String, attempts: Int)
    case blocked(node: String, by: String)
    case skipped(node: String, reason: String)
    /// Something a person should know that does not stop the node (a takes index rebuilt).
    case warning(node: String, message: String)
    /// Last: how the run ended, its numbers and where its files are.
    case runFinished(RunEnd)

    public struct RunStart: Sendable {
        public var runID: String
        public var template: String
        public var productID: String?
        public var jobs: Int
        public var simulated: Bool
        public var offline: Bool
        public var folder: String?

        public init(runID: String, template: String, productID: String?, jobs: Int, simulated: Bool, offline: Bool, folder: String?) {
            self.runID = runID; self.template = template; self.productID = productID; self.jobs = jobs
            self.simulated = simulated; self.offline = offline; self.folder = folder
        }
    }

    public struct RunEnd: Sendable {
        public var runID: String
        public var status: RunReport.Status
        public var counts: RunReport.Counts
        public var cost: Money
        public var costEstimated: Bool
        public var stopReason: String?
        public var folder: String?
        public var report: String?
        public var finalVideo: String?
        public var diagram: String?

        public init(runID: String, status: RunReport.Status, counts: RunReport.Counts, cost: Money, costEstimated: Bool, stopReason: String?,
                    folder: String?, report: String?, finalVideo: String?, diagram: String?) {
            self.runID = runID; self.status = status; self.counts = counts; self.cost = cost; self.costEstimated = costEstimated
            self.stopReason = stopReason; self.folder = folder; self.report = report; self.finalVideo = finalVideo; self.diagram = diagram
        }
    }

    /// The event's name in JSON.
    public var name: String {
        switch self {
        case .runStarted: return "run_started"
        case .started: return "started"
        case .retrying: return "retried"
        case .finished(_, let status, _, _): return status == .cached ? "cached" : "finished"
        case .failed: return "failed"
        case .blocked: return "blocked"
        case .skipped: return "skipped"
        case .warning: return "warning"
        case .runFinished: return "run_finished"
        }
    }

    /// The node an event is about, if any.
    public var node: String? {
        switch self {
        case .started(let node, _, _), .retrying(let node, _, _, _), .finished(let node, _, _, _), .failed(let node, _, _),
             .blocked(let node, _), .skipped(let node, _), .warning(let node, _): return node
        case .runStarted, .runFinished: return nil
        }
    }

    /// The event as one line of JSON (no newline inside): `{"event": "...", "run_id": "...",
    /// "time": "...", ...}` with the event's own fields, keys sorted.
    public func jsonLine(runID: String, time: Date = Date()) -> String {
        let data = (try? JSONCoding.compact.encode(Line(event: self, runID: runID, time: time))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The wire shape of an event (`run --json`, the server's event streams).
    struct Line: Encodable {
        var event: RunEvent
        var runID: String
        var time: Date

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            func put<T: Encodable>(_ key: String, _ value: T?) throws {
                if let value { try c.encode(value, forKey: Key(key)) } else { try c.encodeNil(forKey: Key(key)) }
            }
            func milliseconds(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }
            try put("event", event.name)
            try put("run_id", runID)
            try put("time", time.formatted(.iso8601))
            switch event {
            case .runStarted(let s):
                try put("template", s.template)
                try put("jobs", s.jobs)
                try put("simulated", s.simulated)
                try put("offline", s.offline)
                try put("product_id", s.productID)
                try put("folder", s.folder)
            case .started(let node, let attempt, let provider):
                try put("node", node); try put("attempt", attempt); try put("provider", provider.rawValue)
            case .retrying(let node, let attempt, let delay, let error):
                try put("node", node); try put("attempt", attempt); try put("delay_s", milliseconds(delay)); try put("error", error)
            case .finished(let node, let status, let seconds, let output):
                try put("node", node); try put("status", status.rawValue); try put("seconds", milliseconds(seconds)); try put("output", output)
            case .failed(let node, let error, let attempts):
                try put("node", node); try put("error", error); try put("attempts", attempts)
            case .blocked(let node, let by):
                try put("node", node); try put("by", by)
            case .skipped(let node, let reason):
                try put("node", node); try put("reason", reason)
            case .warning(let node, let message):
                try put("node", node); try put("message", message)
            case .runFinished(let e):
                try put("status", e.status.rawValue)
                try put("counts", e.counts)
                try put("cost", e.cost.decimal)
                try put("cost_estimated", e.costEstimated)
                try put("stop_reason", e.stopReason)
                try put("folder", e.folder)
                try put("report", e.report)
                try put("final_video", e.finalVideo)
                try put("diagram", e.diagram)
            }
        }
    }
}
