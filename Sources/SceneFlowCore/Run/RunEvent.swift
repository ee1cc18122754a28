import Foundation

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
        case .runFinished: return "run_finished"
        }
    }

    /// The node an event is about, if any.
    public var node: String? {
        switch self {
        case .started(let node, _, _), .retrying(let node, _, _, _), .finished(let node, _, _, _), .failed(let node, _, _),
             .blocked(let node, _), .skipped(let node, _): return node
        case .runStarted, .runFinished: return nil
        }
    }

    /// One JSON object: `{"event": "...", "run_id": "...", "time": "...", ...}`.
    public func jsonObject(runID: String, time: Date = Date()) -> [String: Any] {
        var o: [String: Any] = ["event": name, "run_id": runID, "time": time.formatted(.iso8601)]
        switch self {
        case .runStarted(let s):
            o["template"] = s.template
            o["jobs"] = s.jobs
            o["simulated"] = s.simulated
            o["offline"] = s.offline
            o["product_id"] = s.productID ?? NSNull()
            o["folder"] = s.folder ?? NSNull()
        case .started(let node, let attempt, let provider):
            o["node"] = node; o["attempt"] = attempt; o["provider"] = provider.rawValue
        case .retrying(let node, let attempt, let delay, let error):
            o["node"] = node; o["attempt"] = attempt; o["delay_s"] = (delay * 1000).rounded() / 1000; o["error"] = error
        case .finished(let node, let status, let seconds, let output):
            o["node"] = node; o["status"] = status.rawValue; o["seconds"] = (seconds * 1000).rounded() / 1000
            o["output"] = output ?? NSNull()
        case .failed(let node, let error, let attempts):
            o["node"] = node; o["error"] = error; o["attempts"] = attempts
        case .blocked(let node, let by):
            o["node"] = node; o["by"] = by
        case .skipped(let node, let reason):
            o["node"] = node; o["reason"] = reason
        case .runFinished(let e):
            o["status"] = e.status.rawValue
            let c = e.counts
            o["counts"] = ["jobs": c.jobs, "made": c.made, "cached": c.cached, "failed": c.failed, "blocked": c.blocked,
                           "skipped": c.skipped, "inputs": c.inputs, "reused": c.reused]
            o["cost"] = NSDecimalNumber(decimal: e.cost.decimal)
            o["cost_estimated"] = e.costEstimated
            o["stop_reason"] = e.stopReason ?? NSNull()
            o["folder"] = e.folder ?? NSNull()
            o["report"] = e.report ?? NSNull()
            o["final_video"] = e.finalVideo ?? NSNull()
            o["diagram"] = e.diagram ?? NSNull()
        }
        return o
    }

    /// The event as one line of JSON (no newline inside).
    public func jsonLine(runID: String, time: Date = Date()) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: jsonObject(runID: runID, time: time), options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
