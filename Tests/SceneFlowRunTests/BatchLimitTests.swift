import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowProviders
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// Wraps a real generator and counts how many of its jobs run at once, per provider.
struct Counted: Generator {
    var inner: Generator
    var recorder: Recorder
    func generate(_ job: Job) async throws -> GeneratedOutput {
        recorder.begin(job)
        defer { recorder.end(job) }
        return try await inner.generate(job)
    }
}

@Suite(.timeLimit(.minutes(10)), .tags(.ffmpeg)) struct BatchLimitTests {
    /// 20 products, each with its own product image, hydrated offline in one process: the shared
    /// limits hold across all of them, and an identical second batch is entirely cached.
    @Test func twentyProductsShareTheLimits() async throws {
        let local = try #require(LocalEngine())
        let h = try Harness(sample: "samples/unboxing.json")
        defer { h.cleanup() }
        let images = h.workspace.root.appendingPathComponent("products")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var products: [(String, HydrationInputs)] = []
        for n in 0..<20 {
            let file = images.appendingPathComponent("p\(n).png")
            let made = try await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", String(format: "color=c=0x%02X%02X40:s=16x24", n * 12, 255 - n * 12), "-frames:v", "1", file.path])
            #expect(made.status == 0)
            var inputs = HydrationInputs()
            inputs.productID = "p\(n)"
            inputs.addArguments(["product_1=\(file.path)"])
            products.append(("p\(n)", inputs))
        }
        let limits = RunLimits(concurrency: 3, providerLimits: [.local: 2])
        func batch(_ recorder: Recorder) async -> [RunReport] {
            let limiter = ConcurrencyLimiter(limits: limits)
            var options = RunOptions()
            options.offline = true
            options.limits = limits
            options.sharedLimiter = limiter
            options.coalescer = JobCoalescer()
            options.resolution = 96
            let store = FileOutputCache(directory: h.workspace.cacheDirectory)
            return await withTaskGroup(of: RunReport.self) { group in
                for (id, inputs) in products {
                    let scheduler = Scheduler(checked: h.checked, inputs: inputs, cache: store, options: options,
                                           folder: RunFolder(url: h.workspace.runsDirectory.appendingPathComponent(UUID().uuidString).appendingPathComponent(id)),
                                           workspace: h.workspace, generators: { _ in Counted(inner: local, recorder: recorder) })
                    group.addTask { await scheduler.run() }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        let recorder = Recorder()
        let first = await batch(recorder)
        #expect(first.count == 20 && first.allSatisfy { $0.status == .succeeded }, "\(first.flatMap { $0.nodes.compactMap(\.error) }.prefix(3))")
        #expect(recorder.maxInFlight[.local] == 2, "the shared local limit was reached and never exceeded")
        // Frames and clips differ per product; the voice-overs are shared and made once.
        #expect(recorder.calls["hook.first_frame"] == 20 && recorder.calls["hook.audio"] == 1)
        let again = Recorder()
        let second = await batch(again)
        #expect(again.calls.isEmpty && second.allSatisfy { $0.status == .succeeded })
        #expect(second.allSatisfy { $0.nodes.filter { $0.job != nil }.allSatisfy { $0.status == .cached } })
    }
}
