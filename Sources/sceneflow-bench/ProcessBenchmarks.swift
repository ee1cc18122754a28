import Foundation
import SceneFlowProcess

/// Child processes under stress, through the runner the product uses (`ChildProcess`): many
/// short children in flight at once, some cancelled mid-run; then whole `sceneflow batch`
/// processes. What is counted: children started, finished, cancelled, crashes (this process
/// would not be here to print), and orphans (processes left behind).
enum ProcessBenchmarks {
    /// `count` children, `inFlight` at a time; every tenth is a `sleep 5` cancelled after 20 ms.
    static func children(count: Int, inFlight: Int) async throws {
        let shell = Command.find("sh")!
        let start = ContinuousClock.now
        let (finished, cancelled, failures) = await withTaskGroup(of: (Bool, Bool).self) { group in
            var finished = 0, cancelled = 0, failures = 0
            var next = 0
            func add() {
                let n = next
                next += 1
                group.addTask {
                    if n % 10 == 9 {
                        // A child that would outlive its job: cancelled, it must be gone (SIGTERM).
                        let task = Task { try await ChildProcess.run(Command(shell, arguments: ["-c", "exec sleep 5"])) }
                        try? await Task.sleep(for: .milliseconds(20))
                        task.cancel()
                        let result = await task.result
                        if case .failure(let error) = result, error is CancellationError { return (true, true) }
                        return (false, true)
                    }
                    // Output on both streams, more than a pipe holds, so readers must keep up.
                    let outcome = try? await ChildProcess.run(Command(shell, arguments: ["-c", "head -c 100000 /dev/zero; head -c 70000 /dev/zero >&2; echo \(n)"]))
                    let ok = outcome?.succeeded == true && outcome?.stdout.count == 100_000 + "\(n)\n".utf8.count && outcome?.stderr.count == 70_000
                    return (ok, false)
                }
            }
            for _ in 0..<min(inFlight, count) { add() }
            for await (ok, wasCancelled) in group {
                if !ok { failures += 1 } else if wasCancelled { cancelled += 1 } else { finished += 1 }
                if next < count { add() }
            }
            return (finished, cancelled, failures)
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds)
        try? await Task.sleep(for: .milliseconds(200))
        let orphans = descendants(of: getpid())
        print("children: \(count) started, \(inFlight) in flight; \(finished) finished with all their output, \(cancelled) cancelled and gone, "
              + "\(failures) wrong; \(orphans.count) left running; \(String(format: "%.1f", seconds)) s (\(String(format: "%.2f", seconds * 1000 / Double(count))) ms a child)")
    }

    /// `runs` fresh `sceneflow batch` runs of `products` products offline, one after another.
    static func batch(sceneflow: URL, products: Int, runs: Int, directory: URL) async throws {
        let root = RunBenchmarks.packageRoot()
        let csv = directory.appendingPathComponent("products.csv")
        var rows = ["product_id,product_1"]
        for n in 0..<products {
            let image = directory.appendingPathComponent("p\(n).png")
            let made = try await ChildProcess.run(Command(Command.find("ffmpeg")!, arguments: [
                "-v", "error", "-y", "-f", "lavfi", "-i", String(format: "color=c=0x%02X%02X60:s=64x96", (n * 37) % 256, 255 - (n * 11) % 256),
                "-frames:v", "1", image.path]))
            precondition(made.succeeded, "ffmpeg could not make a product image")
            rows.append("p\(n),\(image.path)")
        }
        try rows.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        var crashes = 0, failures = 0, orphansTotal = 0
        var times: [Double] = []
        for run in 1...runs {
            let workspace = directory.appendingPathComponent("ws-\(run)")
            let start = ContinuousClock.now
            let outcome = try await ChildProcess.run(Command(sceneflow, arguments: [
                "batch", root.appendingPathComponent("samples/unboxing.json").path, "--products", csv.path, "--offline",
                "--limit", "local=8", "--resolution", "160", "--workspace", workspace.path,
                "--out", directory.appendingPathComponent("out-\(run)").path,
            ], workingDirectory: root, stdout: .discard, stderr: .capture(limit: 64 << 10, keep: .tail)))
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            if case .signalled = outcome.termination { crashes += 1 } else if !outcome.succeeded { failures += 1 }
            if !outcome.succeeded { print("run \(run): \(outcome.termination): \(String(decoding: outcome.stderr.suffix(600), as: UTF8.self))") }
            orphansTotal += leftovers(named: ["ffmpeg", "ffprobe", "espeak-ng"]).count
            try? FileManager.default.removeItem(at: workspace)
        }
        print("batch: \(runs) runs × \(products) products (--offline --limit local=8 --resolution 160): \(runs - crashes - failures) succeeded, "
              + "\(crashes) crashed, \(failures) failed, \(orphansTotal) orphaned tools; median \(String(format: "%.1f", median(times))) s a run")
    }

    /// Processes whose parent chain leads to `pid`.
    static func descendants(of pid: pid_t) -> [pid_t] {
        var parent: [pid_t: pid_t] = [:]
        for (p, stat) in processes() { parent[p] = stat.ppid }
        return parent.keys.filter { p in
            var q = parent[p]
            while let current = q, current > 1 {
                if current == pid { return true }
                q = parent[current]
            }
            return false
        }
    }

    /// Running processes with one of these command names.
    static func leftovers(named names: Set<String>) -> [pid_t] {
        processes().filter { names.contains($0.value.name) }.map(\.key)
    }

    static func processes() -> [pid_t: (name: String, ppid: pid_t)] {
        var result: [pid_t: (String, pid_t)] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            // Zombies already reaped by nobody count too: state "Z".
            guard fields.count > 2, let ppid = pid_t(fields[1]) else { continue }
            result[pid] = (name, ppid)
        }
        return result
    }
}
