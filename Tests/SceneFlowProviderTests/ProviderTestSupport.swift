import Foundation
@testable import SceneFlowBasics
import SceneFlowHTTP
@testable import SceneFlowProviders
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport

/// Fast polls; a generous request timeout (tests of timeouts pass their own), so a busy machine
/// does not turn a slow answer into a failure.
func quickSettings(timeout: Double = 60) -> RemoteSettings {
    var settings = RemoteSettings()
    settings.pollInterval = 0.02
    settings.maxPollInterval = 0.1
    settings.requestTimeout = timeout
    settings.connectTimeout = min(timeout, 5)
    settings.downloadTimeout = max(timeout, 10)
    return settings
}

/// A job as the scheduler would build it, with real image files and a real journal.
struct TestJob {
    let folder: URL
    var job: Job

    init(model id: String, kind: JobKind, inputs: [(EdgeType, String)] = [], parameters: [String: String] = [:],
         prompt: String = "Maya holds the grinder up to the camera in a sunny kitchen.") throws {
        folder = try temporaryDirectory()
        let scratch = folder.appendingPathComponent("scratch", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let files = inputs.map { role, path in
            let url = packageRoot.appendingPathComponent(path)
            return Job.Input(role: role, node: path, file: url, sha256: (try? Digest.sha256(fileAt: url)) ?? "")
        }
        let work: Job.Work
        switch kind {
        case .audio:
            work = .speech(SpeechWork(text: parameters["dialogue"] ?? prompt, voice: parameters["voice"], seconds: 5))
        case .video:
            work = .clip(ClipWork(prompt: prompt, aspectRatio: .portrait, seconds: Double(parameters["duration_s"] ?? "5") ?? 5,
                                  first: files.first { $0.role == .firstFrame }!, last: files.first { $0.role == .lastFrame },
                                  voiceOver: files.first { $0.role == .audio }))
        case .combine:
            work = .cut(CutWork(clips: files, aspectRatio: .portrait))
        default:
            work = .frame(FrameWork(kind: kind, prompt: prompt, aspectRatio: .portrait, images: files, camera: parameters["camera"]))
        }
        job = Job(node: "hook.\(kind.rawValue)", model: ModelRegistry.standard[id]!, work: work, scratch: scratch,
                  journal: JobJournal(file: folder.appendingPathComponent("journal/job.json")))
    }

    /// The job's journal entry (a damaged one reads as nil here: the tests that damage one say so).
    var journal: JournalEntry? { try? job.journal.read() }
}

/// What a generator threw, as a `GenerationError` (or nil if it succeeded).
func failure(of generator: Generator, _ job: Job) async -> GenerationError? {
    do {
        _ = try await generator.generate(job)
        return nil
    } catch let error as GenerationError {
        return error
    } catch {
        return GenerationError(.permanent, provider: .local, message: "unexpected \(type(of: error)): \(error)")
    }
}

func endpoint(_ provider: Provider, _ server: FakeProviders) -> ProviderEndpoint {
    switch provider {
    case .fal: return ProviderEndpoint(provider: .fal, base: server.falURL, key: FakeProviders.keys["FAL_KEY"]!)!
    case .elevenlabs: return ProviderEndpoint(provider: .elevenlabs, base: server.elevenLabsURL, key: FakeProviders.keys["ELEVENLABS_API_KEY"]!)!
    default: return ProviderEndpoint(provider: provider, base: server.googleURL, key: FakeProviders.keys["GEMINI_API_KEY"]!)!
    }
}

let frameInputs: [(EdgeType, String)] = [(.avatar, "samples/assets/maya.png"), (.background, "samples/assets/kitchen.png"),
                                                     (.productImage, "samples/products/grinder/product.png")]
let clipInputs: [(EdgeType, String)] = [(.firstFrame, "samples/assets/kitchen.png"), (.lastFrame, "samples/assets/livingroom.png")]
