import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowProviders
import SceneFlowRun
import SceneFlowTemplate
import SceneFlowTestSupport

/// The remote path under load: many fal jobs at once against the loopback fal server, all on
/// one `HTTPClient` (one transfer thread). What matters is the client's own cost per HTTP
/// request, and that concurrency costs neither threads nor memory per job.
enum ProviderBenchmarks {
    static func fal(jobs count: Int, directory: URL) async throws {
        let server = try await FakeProviders(scenario: ["fal_work_seconds": 1.0])
        let endpoint = ProviderEndpoint(provider: .fal, base: server.falURL, key: FakeProviders.keys["FAL_KEY"]!)!
        var settings = RemoteSettings()
        settings.pollInterval = 0.1
        settings.maxPollInterval = 0.4
        let http = HTTPClient()
        let generator = FalGenerator(endpoint: endpoint, settings: settings, http: http, finisher: nil)
        let model = ModelRegistry.standard["fal-ai/kling-image/o1"]!
        let logo = RunBenchmarks.packageRoot().appendingPathComponent("samples/products/grinder/logo.png")
        let input = Job.Input(role: .logo, node: "asset:logo", file: logo, sha256: try Digest.sha256(fileAt: logo))
        let jobs = try (0..<count).map { i -> Job in
            let folder = directory.appendingPathComponent("fal-\(i)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("scratch"), withIntermediateDirectories: true)
            let work = FrameWork(kind: .firstFrame, prompt: "Frame \(i): the grinder on a kitchen counter.", aspectRatio: .portrait,
                                 images: [input], camera: nil, caption: "", resolution: 720)
            return Job(node: "scene\(i).first_frame", model: model, work: .frame(work), scratch: folder.appendingPathComponent("scratch"),
                       journal: JobJournal(file: folder.appendingPathComponent("journal.json")))
        }

        let sampler = ProcessSampler()
        let threadsBefore = ProcessSampler.status("Threads") ?? 0
        let cpuBefore = ProcessSampler.cpuSeconds()
        let start = Date()
        sampler.start()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for job in jobs { group.addTask { (try? await generator.generate(job)) == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        sampler.stop()
        let wall = Date().timeIntervalSince(start)
        let cpu = ProcessSampler.cpuSeconds() - cpuBefore
        let requests = http.transfersCompleted
        print("### the whole fal path (submit, journal, polls, result, download, file writes)")
        print("jobs \(count) (each: submit, status polls, result, media download), failed \(failures), fal work 1.0 s per job")
        print(String(format: "wall %.2f s, HTTP requests %d (%.0f/s)", wall, requests, Double(requests) / wall))
        print(String(format: "client CPU %.0f ms in all: %.0f µs per request (goal < 1 ms), including JSON, base64 data URIs and file writes",
                     cpu * 1000, cpu * 1e6 / Double(max(1, requests))))
        print("threads: \(threadsBefore) before, peak \(sampler.peakThreads) during (one transfer thread, whatever the job count)")
        print(String(format: "memory: peak RSS %.1f MB", Double(sampler.peakRSSKiB) / 1024))

        // The transport alone: small JSON answers, the same concurrency.
        let total = 4000
        let url = server.root + "/fal/fal-ai/kling-image/requests/none/status"
        let request = HTTPRequest(.get, url, headers: [("Authorization", "Key " + FakeProviders.keys["FAL_KEY"]!)])
        let before = ProcessSampler.cpuSeconds(), began = Date()
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<count {
                group.addTask {
                    for _ in stride(from: lane, to: total, by: count) { _ = try? await http.send(request) }
                }
            }
        }
        let transportCPU = ProcessSampler.cpuSeconds() - before
        print("### the transport alone (libcurl multi, one thread)")
        print(String(format: "%d requests, %d in flight: wall %.2f s (%.0f/s, bounded by the Python server), client CPU %.0f µs per request",
                     total, count, Date().timeIntervalSince(began), Double(total) / Date().timeIntervalSince(began), transportCPU * 1e6 / Double(total)))
    }
}

/// Samples this process's thread count and resident memory from /proc every 20 ms.
final class ProcessSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private var threads = 0
    private var rss = 0

    var peakThreads: Int { lock.withLock { threads } }
    var peakRSSKiB: Int { lock.withLock { max(rss, Self.status("VmHWM") ?? 0) } }

    func start() {
        lock.withLock { running = true }
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                let t = Self.status("Threads") ?? 0, r = Self.status("VmRSS") ?? 0
                lock.withLock { threads = max(threads, t - 1); rss = max(rss, r) }   // minus this sampler
                usleep(20_000)
            }
        }
    }

    func stop() { lock.withLock { running = false } }

    /// A number from /proc/self/status ("Threads", "VmRSS" in KiB).
    static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
