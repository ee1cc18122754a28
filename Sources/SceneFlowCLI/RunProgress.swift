import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Shows runs as they go.
///
/// - `--json`: standard output is NDJSON only, one event object per line (`run_started` first,
///   `run_finished` last); nothing else is printed there.
/// - On a terminal: one live status line on standard error, redrawn at least once a second (the
///   clock ticks between events) and cut to the terminal's width, so it never wraps.
/// - Otherwise: one line per event on standard error.
///
/// Jobs are counted as the report counts them (`RunReport.Counts`): inputs and reused frames
/// never count as work done.
final class RunProgress: Sendable {
    enum Mode { case json, live, lines }

    private struct State {
        var jobs = 0
        var counts = RunReport.Counts()
        var running: [String: ContinuousClock.Instant] = [:]
        var started = ContinuousClock.now
        var lastDraw: ContinuousClock.Instant?
        var drawn = false
        /// Prefix for batch lines ("[product] ").
        var label = ""
    }

    private let mode: Mode
    private let state = Mutex(State())
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    init(json: Bool) {
        if json { mode = .json } else if isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" { mode = .live } else { mode = .lines }
    }

    var isJSON: Bool { mode == .json }

    /// Starts redrawing the live line every second.
    func start() {
        guard mode == .live else { return }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                self?.redraw(force: true)
            }
        }
        ticker.withLock { $0 = task }
    }

    /// Stops the live line and clears it.
    func end() {
        ticker.withLock { $0?.cancel(); $0 = nil }
        guard mode == .live else { return }
        state.withLock { state in
            if state.drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); state.drawn = false }
        }
    }

    /// A run's event; `runID` names the run in JSON, `label` prefixes lines of a batch.
    func handle(_ event: RunEvent, runID: String, label: String? = nil) {
        if mode == .json {
            FileHandle.standardOutput.write(Data((event.jsonLine(runID: runID) + "\n").utf8))
            return
        }
        var line: String?
        state.withLock { s in
            let prefix = label.map { "[\($0)] " } ?? ""
            switch event {
            case .runStarted(let start):
                s.jobs += start.jobs
                line = nil
            case .started(let node, let attempt, let provider):
                s.running[prefix + node] = .now
                line = "start  \(prefix)\(node)\(attempt > 1 ? " (attempt \(attempt))" : "") on \(provider.rawValue)"
            case .retrying(let node, let attempt, let delay, let error):
                line = "retry  \(prefix)\(node) in \(String(format: "%.1f", delay)) s (attempt \(attempt)): \(error)"
            case .finished(let node, let status, let seconds, _):
                s.running[prefix + node] = nil
                if status == .cached { s.counts.cached += 1 } else { s.counts.made += 1 }
                line = status == .cached ? "cached \(prefix)\(node)" : "done   \(prefix)\(node) (\(String(format: "%.1f", seconds)) s)"
            case .failed(let node, let error, let attempts):
                s.running[prefix + node] = nil
                s.counts.failed += 1
                line = "FAILED \(prefix)\(node) after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(error)"
            case .blocked(let node, let by):
                s.counts.blocked += 1
                line = "blocked \(prefix)\(node) (by \(by))"
            case .skipped(let node, let reason):
                s.running[prefix + node] = nil
                s.counts.skipped += 1
                line = "skipped \(prefix)\(node): \(reason)"
            case .warning(let node, let message):
                line = "warning \(prefix)\(node): \(message)"
            case .runFinished:
                line = nil
            }
        }
        switch mode {
        case .lines: if let line { printErr(line) }
        case .live:
            if let line, line.hasPrefix("FAILED") || line.hasPrefix("retry") { note(line) } else { redraw(force: false) }
        case .json: break
        }
    }

    /// A message above the live line (it is redrawn after).
    func note(_ text: String) {
        state.withLock { s in
            if mode == .live && s.drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); s.drawn = false }
        }
        printErr(text)
        redraw(force: true)
    }

    private func redraw(force: Bool) {
        guard mode == .live else { return }
        state.withLock { s in
            let now = ContinuousClock.now
            if !force, let last = s.lastDraw, now - last < .milliseconds(100) { return }
            s.lastDraw = now
            let text = Self.fit(Self.statusLine(s, now: now), width: Self.terminalWidth())
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + Terminal.visible(text)).utf8))
            s.drawn = true
        }
    }

    private static func statusLine(_ s: State, now: ContinuousClock.Instant) -> String {
        let elapsed = seconds(now - s.started)
        let ended = s.counts.made + s.counts.cached + s.counts.failed + s.counts.blocked + s.counts.skipped
        var parts = ["\(s.counts.made) made", "\(s.counts.cached) cached"]
        if s.counts.failed > 0 { parts.append("\(s.counts.failed) failed") }
        if s.counts.blocked > 0 { parts.append("\(s.counts.blocked) blocked") }
        let made = s.counts.made
        let eta = made > 0 && ended < s.jobs ? " · ETA \(PlanReport.duration(elapsed / Double(max(1, ended)) * Double(s.jobs - ended)))" : ""
        let names = s.running.keys.sorted().prefix(2).joined(separator: ", ") + (s.running.count > 2 ? " +\(s.running.count - 2)" : "")
        return "[\(ended)/\(s.jobs) jobs] \(parts.joined(separator: ", "))\(s.running.isEmpty ? "" : " · running \(names)") · \(PlanReport.duration(elapsed))\(eta)"
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// Cut to one line of the terminal (never wraps, so no stale lines are left behind).
    static func fit(_ text: String, width: Int) -> String {
        let room = max(10, width - 1)
        return text.count <= room ? text : String(text.prefix(room - 1)) + "…"
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80
    }
}
