import Foundation

/// Several `sceneflow` processes on one workspace at once, in interleavings drawn from a seeded
/// generator (runs real and rehearsed, into their own folders and shared ones, batches, assets
/// added and removed for products that share files, takes picked), and after every round the
/// invariants a user relies on, checked against the disk:
///
/// - every report's digests are those of the files it names, and its status is the history's;
/// - every stored asset's row has its file;
/// - no run folder holds another run's file (its marker names the run its `run.json` is of);
/// - every process ended in success or a documented refusal (64: a folder in use), never a crash.
///
/// The suite (`ConcurrencyInvariantTests`) runs a few rounds; `sceneflow-bench soak N` runs many.
public struct WorkspaceSoak: Sendable {
    public let folder: URL
    public var workspace: URL { folder.appendingPathComponent("ws") }

    public init(folder: URL) {
        self.folder = folder
    }

    /// A failing round is replayed by its seed.
    public typealias Seeded = SplitMix64

    /// One round: `width` operations started at once (each after a small random delay), waited for,
    /// then the invariants. Returns what was run and every violation found.
    public func round(_ index: Int, width: Int, random: inout Seeded) async throws -> (operations: [String], violations: [String]) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ws = ["--workspace", workspace.path]
        let products = ["grinder", "kettle", "mill"]
        let images = ["product.png", "coin.png", "logo.png"].map { packageRoot.appendingPathComponent("samples/products/grinder/\($0)").path }
        var operations: [[String]] = []
        for slot in 0..<width {
            let shared = folder.appendingPathComponent("shared-\(random.next() % 2)").path
            let own = folder.appendingPathComponent("r\(index)-\(slot)").path
            switch random.next() % 8 {
            case 0, 1:
                operations.append(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--simulate", "400", "--out", shared] + ws)
            case 2:
                operations.append(["run", "samples/product-only.json", "--inputs", "samples/product-only.inputs.json", "--simulate", "400", "--out", own] + ws)
            case 3:
                operations.append(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--offline", "--resolution", "120",
                                   "frames", "--out", random.next() % 2 == 0 ? shared : own] + ws)
            case 4:
                let product = products[Int(random.next() % 3)]
                operations.append(["assets", "add", "--product", product, "product_1", images[Int(random.next() % 3)]] + ws)
            case 5:
                operations.append(["assets", "remove", "--product", products[Int(random.next() % 3)], "product_1"] + ws)
            case 6:
                let csv = folder.appendingPathComponent("batch-\(index)-\(slot).csv")
                try "product_id,product_1\n\(products[0]),\(images[0])\n\(products[1]),\(images[Int(random.next() % 3)])\n"
                    .write(to: csv, atomically: true, encoding: .utf8)
                operations.append(["batch", "samples/unboxing.json", "--products", csv.path, "--simulate", "400"] + ws)
            default:
                operations.append(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--simulate", "400"] + ws)
            }
        }
        let delays = operations.map { _ in Double(random.next() % 300) / 1000 }
        let outcomes = try await withThrowingTaskGroup(of: (Int, ChildOutcome).self) { group in
            for (i, arguments) in operations.enumerated() {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int(delays[i] * 1000)))
                    var env = ProcessInfo.processInfo.environment
                    env["SCENEFLOW_HOME"] = nil
                    let process = try ChildProcess.launch(Command(sceneflowBinary, arguments: arguments, environment: env, workingDirectory: packageRoot,
                                                                  stdout: .discard, stderr: .capture(limit: 1 << 16, keep: .tail)))
                    return (i, await process.exit())
                }
            }
            var all = [ChildOutcome?](repeating: nil, count: operations.count)
            for try await (i, outcome) in group { all[i] = outcome }
            return all.map { $0! }
        }
        var violations: [String] = []
        for (arguments, outcome) in zip(operations, outcomes) {
            let status = outcome.termination.status
            let said = String(decoding: outcome.stderr, as: UTF8.self)
            // Success, a documented refusal, or an assets command on a product with nothing stored.
            let refusedFolder = status == 64 && said.contains("in use by")
            let nothingToRemove = arguments[1] == "remove" && ((status == 1 && said.contains("nothing matched")) || (status == 66 && said.contains("no workspace")))
            if !(status == 0 || refusedFolder || nothingToRemove) {
                violations.append("`sceneflow \(arguments.prefix(4).joined(separator: " "))…` ended \(outcome.termination): \(said.suffix(400))")
            }
        }
        violations += try await invariants()
        return (operations.map { $0.prefix(3).joined(separator: " ") }, violations)
    }

    /// The invariants, checked against the disk now.
    public func invariants() async throws -> [String] {
        var violations: [String] = []
        let ws = ["--workspace", workspace.path]
        guard FileManager.default.fileExists(atPath: workspace.appendingPathComponent("sceneflow.sqlite").path) else { return [] }
        let history = try await sceneflow(["runs", "list", "--format", "json", "--limit", "10000"] + ws)
        guard history.status == 0, let runs = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]] else {
            return ["the history cannot be read: \(history.stderr)"]
        }
        for run in runs {
            guard let id = run["run_id"] as? String, let folder = (run["folder"] as? String).map({ URL(fileURLWithPath: $0) }) else { continue }
            // A folder a later run took over holds that run's files now.
            if let later = run["superseded_by"] as? String, !later.isEmpty { continue }
            guard let data = try? Data(contentsOf: folder.appendingPathComponent("run.json")),
                  let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                violations.append("run \(id): no readable run.json in \(folder.path)")
                continue
            }
            if report["run_id"] as? String != id { violations.append("run \(id): its folder's run.json is run \(report["run_id"] ?? "?")'s") }
            if report["status"] as? String != run["status"] as? String {
                violations.append("run \(id): the history says \(run["status"] ?? "?"), run.json says \(report["status"] ?? "?")")
            }
            if let marker = try? JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(".sceneflow-run.json"))) as? [String: Any],
               marker["run_id"] as? String != id {
                violations.append("run \(id): its folder is marked as run \(marker["run_id"] ?? "?")'s")
            }
            for node in report["nodes"] as? [[String: Any]] ?? [] {
                guard node["job"] != nil, let output = node["output"] as? String, let digest = node["sha256"] as? String else { continue }
                let file = folder.appendingPathComponent(output)
                let actual = try await SceneFlowTestSupport.run("sha256sum", [file.path]).stdout.prefix(64)
                if actual != digest {
                    violations.append("run \(id): \(output) is \(actual.isEmpty ? "missing" : String(actual.prefix(12))), its report says \(digest.prefix(12))")
                }
            }
        }
        for product in ["grinder", "kettle", "mill"] {
            let listing = try await sceneflow(["assets", "list", "--product", product, "--format", "json"] + ws)
            guard listing.status == 0, let rows = try? JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]] else { continue }
            for row in rows {
                guard let file = row["file"] as? String else { continue }
                let path = file.hasPrefix("/") ? file : workspace.appendingPathComponent(file).path
                if !FileManager.default.fileExists(atPath: path) { violations.append("product \(product): its row points at \(file), which is gone") }
            }
        }
        return violations
    }
}
