import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Counts calls and concurrency, per node and per provider; thread-safe.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var calls: [String: Int] = [:]
    private var inFlight: [Provider: Int] = [:]
    private(set) var maxInFlight: [Provider: Int] = [:]
    private var total = 0
    private(set) var maxTotal = 0
    private(set) var cancelled: [String] = []

    func begin(_ job: Job) {
        lock.lock(); defer { lock.unlock() }
        calls[job.node, default: 0] += 1
        inFlight[job.model.provider, default: 0] += 1
        maxInFlight[job.model.provider] = max(maxInFlight[job.model.provider] ?? 0, inFlight[job.model.provider]!)
        total += 1
        maxTotal = max(maxTotal, total)
    }

    func end(_ job: Job) {
        lock.lock(); defer { lock.unlock() }
        inFlight[job.model.provider]! -= 1
        total -= 1
    }

    func noteCancelled(_ node: String) {
        lock.lock(); defer { lock.unlock() }
        cancelled.append(node)
    }

    var generated: Set<String> { lock.lock(); defer { lock.unlock() }; return Set(calls.keys) }

    /// Whether `provider` has ever had `count` jobs in flight at once.
    func hasReached(_ count: Int, on provider: Provider) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return (maxInFlight[provider] ?? 0) >= count
    }
}

/// A generator for tests: sleeps `delay`, fails as told, writes a file whose content depends
/// only on the job (so it is deterministic, like a cache expects).
struct TestGenerator: Generator {
    var recorder: Recorder
    var delay: Double = 0
    /// Nodes that always fail permanently.
    var failing: Set<String> = []
    /// Nodes that fail transiently this many times before succeeding.
    var flaky: [String: Int] = [:]
    var retryAfter: Double? = nil
    /// What each job reports it cost (nil: the provider reports no price).
    var cost: Money? = nil
    /// Holds a provider's jobs (up to 10 s) until that many are in flight at once, so a test of
    /// limits does not depend on how busy the machine is.
    var holdUntilInFlight: (provider: Provider, count: Int)? = nil

    func generate(_ job: Job) async throws -> GeneratedOutput {
        recorder.begin(job)
        defer { recorder.end(job) }
        if let hold = holdUntilInFlight, hold.provider == job.model.provider {
            let deadline = Date().addingTimeInterval(10)
            while !recorder.hasReached(hold.count, on: hold.provider), Date() < deadline {
                try await Task.sleep(nanoseconds: 5_000_000)
            }
        }
        if delay > 0 {
            do { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) } catch {
                recorder.noteCancelled(job.node)
                throw error
            }
        }
        if failing.contains(job.node) {
            throw GenerationError(.permanent, provider: job.model.provider, httpStatus: 422, message: "prompt rejected by the test provider")
        }
        if let times = flaky[job.node], job.attempt <= times {
            throw GenerationError(.transient, provider: job.model.provider, httpStatus: 429, message: "busy", retryAfter: retryAfter)
        }
        let file = job.scratch.appendingPathComponent("out.bin")
        try Data("\(job.node)|\(job.prompt)|\(CacheKey(job).value)|\(job.inputs.map(\.sha256))".utf8).write(to: file)
        return GeneratedOutput(file: file, provider: job.model.provider, requestID: "req-\(job.node)", cost: cost)
    }
}

/// A template, a workspace and an scheduler around them.
struct Harness {
    var workspace: Workspace
    var loaded: LoadedTemplate
    var checked: CheckedTemplate { CheckedTemplate(loaded)! }

    init(template json: String, directory: URL = packageRoot.appendingPathComponent("samples")) throws {
        workspace = Workspace(root: FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-run-\(UUID().uuidString)"))
        try workspace.create()
        loaded = LoadedTemplate.parse(bytes: Array(json.utf8), path: directory.appendingPathComponent("inline.json").path)
    }

    init(sample: String) throws {
        workspace = Workspace(root: FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-run-\(UUID().uuidString)"))
        try workspace.create()
        loaded = try LoadedTemplate.load(path: packageRoot.appendingPathComponent(sample).path)
    }

    func inputs(_ assets: [String: String] = ["product_1": "samples/products/grinder/product.png"]) -> HydrationInputs {
        var inputs = HydrationInputs()
        inputs.addArguments(assets.map { "\($0.key)=\(packageRoot.appendingPathComponent($0.value).path)" })
        return inputs
    }

    func scheduler(_ generator: Generator, options: RunOptions = RunOptions(), assets: [String: String]? = nil,
                runFolder: URL? = nil, events: @escaping @Sendable (RunEvent) -> Void = { _ in }) -> Scheduler {
        Scheduler(checked: checked, inputs: assets.map { inputs($0) } ?? inputs(),
                  cache: FileOutputCache(directory: workspace.cacheDirectory), options: options,
                  folder: RunFolder(url: runFolder ?? workspace.runsDirectory.appendingPathComponent(UUID().uuidString)),
                  workspace: workspace, generators: { _ in generator }, events: events)
    }

    func cleanup() { try? FileManager.default.removeItem(at: workspace.root) }
}

/// A fast retry policy for tests.
func quickRetries(_ n: Int = 3) -> RetryPolicy { RetryPolicy(retries: n, base: 0.01, cap: 0.05) }

extension RunReport {
    func status(of id: String) -> NodeStatus? { node(id)?.status }
    func ids(_ status: NodeStatus) -> Set<String> { Set(nodes.filter { $0.status == status }.map(\.id)) }
}
