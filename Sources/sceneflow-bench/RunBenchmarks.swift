import Foundation
import SceneFlowBasics
import SceneFlowProviders
import SceneFlowRun
import SceneFlowTemplate

/// Finishes at once with a fixed output: measures the scheduler, not the generator.
struct InstantGenerator: Generator {
    let file: URL
    func generate(_ job: Job) async throws -> GeneratedOutput {
        GeneratedOutput(file: file, provider: job.model.provider, sha256: "0000000000000000000000000000000000000000000000000000000000000000")
    }
}

enum RunBenchmarks {
    static func packageRoot() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func sampleInputs(_ template: String) throws -> HydrationInputs {
        var inputs = HydrationInputs()
        let path = packageRoot().appendingPathComponent(template.replacingOccurrences(of: ".json", with: ".inputs.json").replacingOccurrences(of: ".yaml", with: ".inputs.json")).path
        try inputs.addInputsFile(path: path)
        return inputs
    }

    /// Scheduler overhead per node with an instant generator and an in-memory cache.
    static func overhead(scenes: Int, directory: URL) async throws {
        let url = try BenchTemplates.write(scenes: scenes, into: directory)
        let checked = CheckedTemplate(LoadedTemplate.parse(bytes: [UInt8](try Data(contentsOf: url)), path: url.path))!
        let product = directory.appendingPathComponent("a0.png")
        var inputs = HydrationInputs()
        inputs.addArguments(["product_1=\(product.path)", "logo=\(product.path)", "coin=\(product.path)"])
        var options = RunOptions()
        options.scratchFolders = false
        options.limits = RunLimits(concurrency: 64, providerLimits: [.fal: 64, .elevenlabs: 64, .local: 64])
        var times: [Double] = []
        var nodes = 0
        var report: RunReport?
        for _ in 0..<3 {
            let scheduler = Scheduler(checked: checked, inputs: inputs, cache: MemoryOutputCache(capacity: checked.graph.nodes.count), options: options,
                                   folder: nil, workspace: nil, generators: { _ in InstantGenerator(file: product) })
            nodes = scheduler.graph.nodes.count
            let start = DispatchTime.now().uptimeNanoseconds
            report = await scheduler.run()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        precondition(report?.status == .succeeded, "benchmark run must succeed")
        let t = median(times)
        print(String(format: "%d scenes, %d nodes: %.2f s, %.1f µs per node (goal < 20)", scenes, nodes, t, t * 1e6 / Double(nodes)))
    }

    /// Scheduling a batch: `products` × the unboxing sample, instant generator, shared limits,
    /// in-memory cache, every product with its own product image digest.
    static func batch(products: Int, directory: URL) async throws {
        let checked = CheckedTemplate(try LoadedTemplate.load(path: packageRoot().appendingPathComponent("samples/unboxing.json").path))!
        var inputsList: [HydrationInputs] = []
        for n in 0..<products {
            let file = directory.appendingPathComponent("product-\(n).png")
            try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array("product \(n)".utf8)).write(to: file)
            var inputs = HydrationInputs()
            inputs.productID = "p\(n)"
            inputs.addArguments(["product_1=\(file.path)"])
            inputsList.append(inputs)
        }
        var options = RunOptions()
        options.scratchFolders = false
        options.sharedLimiter = ConcurrencyLimiter(limits: options.limits)
        options.coalescer = JobCoalescer()
        let store = MemoryOutputCache()
        let output = directory.appendingPathComponent("product-0.png")
        let start = DispatchTime.now().uptimeNanoseconds
        let reports = await withTaskGroup(of: RunReport.self) { group in
            for inputs in inputsList {
                let scheduler = Scheduler(checked: checked, inputs: inputs, cache: store, options: options,
                                       folder: nil, workspace: nil, generators: { _ in InstantGenerator(file: output) })
                group.addTask { await scheduler.run() }
            }
            return await group.reduce(into: [RunReport]()) { $0.append($1) }
        }
        let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(reports.allSatisfy { $0.status == .succeeded })
        print(String(format: "%d products × 3 scenes (%d runs, %d nodes): %.2f s (goal < 5 s)", products, reports.count,
                     reports.reduce(0) { $0 + $1.nodes.count }, t))
    }

    /// Measured makespan of each sample with the simulated generator (latencies ÷ speed), against
    /// the lower bound and the three-barrier workflow (all frames and audio, then all clips, then
    /// the cut), both computed from the same latencies under the same limits.
    static func makespan(speed: Double, directory: URL) async throws {
        print(pad("sample", 28) + pad("measured", 10) + pad("bound", 10) + pad("vs bound", 10) + pad("3-barrier", 11) + "speed-up")
        for template in ["samples/unboxing.json", "samples/testimonial.yaml", "samples/product-only.json"] {
            let checked = CheckedTemplate(try LoadedTemplate.load(path: packageRoot().appendingPathComponent(template).path))!
            let limits = RunLimits()
            let plan = Planner.plan(checked.graph, limits: limits)!
            let bound = plan.lowerBound / speed
            let barrier = threeBarrier(plan) / speed
            var measured: [Double] = []
            for _ in 0..<3 {
                var options = RunOptions()
                options.limits = limits
                let scheduler = Scheduler(checked: checked, inputs: try sampleInputs(template), cache: MemoryOutputCache(),
                                       options: options, folder: nil,
                                       workspace: Workspace(root: directory.appendingPathComponent("ws-\(UUID().uuidString)")),
                                       generators: { _ in SimulatedGenerator(speed: speed) })
                let start = DispatchTime.now().uptimeNanoseconds
                let report = await scheduler.run()
                precondition(report.status == .succeeded)
                measured.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let m = median(measured)
            print(pad(template, 28) + pad(String(format: "%.3f s", m), 10) + pad(String(format: "%.3f s", bound), 10)
                  + pad(String(format: "+%.1f%%", (m / bound - 1) * 100), 10) + pad(String(format: "%.3f s", barrier), 11)
                  + String(format: "×%.2f", barrier / m))
        }
    }

    /// The dashboard's workflow: every frame and voice, then every clip, then the cut, each stage
    /// list-scheduled under the same limits.
    static func threeBarrier(_ plan: Plan) -> Double {
        let stages: [Set<JobKind>] = [[.firstFrame, .lastFrame, .cameraAngle, .audio], [.video], [.combine]]
        var total = 0.0
        for stage in stages {
            var jobs = plan.jobs
            for i in jobs.indices where !(plan.graph.nodes[i].job.map(stage.contains) ?? false) {
                jobs[i].seconds = 0
                jobs[i].provider = nil
            }
            total += Planner.simulate(graph: plan.graph, jobs: &jobs, priority: Array(repeating: 0, count: jobs.count), limits: plan.limits)
        }
        return total
    }

    /// The local engine, for real: wall time per second of final video, then the cached rerun.
    static func local(directory: URL) async throws {
        guard let engineGenerator = LocalEngineLoader.make() else { print("ffmpeg/espeak-ng not installed; skipped"); return }
        print(pad("sample", 28) + pad("video", 9) + pad("wall", 9) + pad("per video s", 13) + "cached rerun")
        for template in ["samples/unboxing.json", "samples/testimonial.yaml", "samples/product-only.json"] {
            let checked = CheckedTemplate(try LoadedTemplate.load(path: packageRoot().appendingPathComponent(template).path))!
            let workspace = Workspace(root: directory.appendingPathComponent("local-\(UUID().uuidString)"))
            try workspace.create()
            var options = RunOptions()
            options.offline = true
            var wall: [Double] = []
            var video = 0.0
            for pass in 0..<2 {
                let scheduler = Scheduler(checked: checked, inputs: try sampleInputs(template),
                                       cache: FileOutputCache(directory: workspace.cacheDirectory), options: options,
                                       folder: RunFolder(url: workspace.runsDirectory.appendingPathComponent("r\(pass)")), workspace: workspace,
                                       generators: { _ in engineGenerator })
                let start = DispatchTime.now().uptimeNanoseconds
                let report = await scheduler.run()
                wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                precondition(report.status == .succeeded, "\(report.nodes.compactMap(\.error))")
                video = checked.graph.totalSeconds
            }
            print(pad(template, 28) + pad(String(format: "%.0f s", video), 9) + pad(String(format: "%.2f s", wall[0]), 9)
                  + pad(String(format: "%.3f s", wall[0] / video), 13) + String(format: "%.3f s", wall[1]))
        }
    }
}
