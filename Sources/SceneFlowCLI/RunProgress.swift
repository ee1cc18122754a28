import Foundation
import SceneFlowCore

/// Shows a run as it goes: on a terminal, one live status line (counts per status, running
/// jobs, elapsed, ETA) redrawn in place; otherwise one line per event; with `--json`, NDJSON
/// events on standard output for other tools. Events arrive from many tasks: one lock.
final class RunProgress: @unchecked Sendable {
    private let json: Bool
    private let total: Int
    private let live: Bool
    private let lock = NSLock()
    private let start = Date()
    private var counts: [NodeStatus: Int] = [:]
    private var running: [String: Date] = [:]
    private var lastDraw = Date.distantPast

    init(json: Bool, total: Int) {
        self.json = json
        self.total = total
        self.live = !json && isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    func handle(_ event: RunEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .started(let node, let attempt, let provider):
            running[node] = Date()
            emit(["event": "started", "node": node, "attempt": attempt, "provider": provider.rawValue],
                 line: "start  \(node)\(attempt > 1 ? " (attempt \(attempt))" : "") on \(provider.rawValue)")
        case .retrying(let node, let attempt, let delay, let error):
            emit(["event": "retried", "node": node, "attempt": attempt, "delay_s": delay, "error": error],
                 line: "retry  \(node) in \(String(format: "%.1f", delay)) s (attempt \(attempt)): \(error)")
        case .finished(let node, let status, let seconds):
            running[node] = nil
            counts[status, default: 0] += 1
            emit(["event": status == .cached ? "cached" : "finished", "node": node, "status": status.rawValue, "seconds": seconds],
                 line: "\(status == .cached ? "cached" : "done  ") \(node)\(status == .cached ? "" : String(format: " (%.1f s)", seconds))")
        case .failed(let node, let error, let attempts):
            running[node] = nil
            counts[.failed, default: 0] += 1
            emit(["event": "failed", "node": node, "error": error, "attempts": attempts], line: "FAILED \(node) after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(error)")
        case .blocked(let node, let by):
            counts[.blocked, default: 0] += 1
            emit(["event": "blocked", "node": node, "by": by], line: "blocked \(node) (by \(by))")
        }
    }

    func note(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func end() {
        lock.lock(); defer { lock.unlock() }
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func emit(_ object: [String: Any], line: String) {
        if json {
            var event = object
            event["time"] = ISO8601DateFormatter().string(from: Date())
            if let data = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) {
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            }
        } else if live {
            guard Date().timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = Date()
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + statusLine()).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    private func statusLine() -> String {
        let elapsed = Date().timeIntervalSince(start)
        let done = counts.values.reduce(0, +)
        let parts = [NodeStatus.succeeded, .cached, .failed, .blocked].compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        let eta = done > 0 && done < total ? " · ETA \(PlanReport.duration(elapsed / Double(done) * Double(total - done)))" : ""
        let names = running.keys.sorted().prefix(3).joined(separator: ", ") + (running.count > 3 ? " +\(running.count - 3)" : "")
        return "[\(done)/\(total)] \(parts.joined(separator: ", "))\(running.isEmpty ? "" : " · running \(names)") · \(PlanReport.duration(elapsed))\(eta)"
    }
}
