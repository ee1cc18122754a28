import Foundation
import SceneFlowTemplate

/// A generator that takes the registry's estimated time (divided by `speed`) and writes a small
/// `.sim` placeholder naming the job: for rehearsing a run's schedule and limits without
/// spending anything (`sceneflow run --simulate SPEED`), and for testing the scheduler. Its
/// outputs belong in a cache of their own (`Workspace.simulatedCacheDirectory`).
public struct SimulatedGenerator: Generator {
    public var speed: Double

    public init(speed: Double) {
        self.speed = speed
    }

    public func generate(_ job: Job) async throws -> GeneratedOutput {
        var clip = 0.0, characters = 0
        switch job.work {
        case .clip(let work): clip = work.seconds
        case .speech(let work): characters = work.text.count
        default: break
        }
        let seconds = job.model.estimatedSeconds(clipSeconds: clip, characters: characters) / max(speed, 1e-9)
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
        let file = job.scratch.appendingPathComponent("output.sim")
        let body = "simulated \(job.kind.rawValue) for \(job.node) by \(job.model.id)\ninputs: \(job.inputs.map(\.sha256).joined(separator: ","))\n"
        try Data(body.utf8).write(to: file)
        return GeneratedOutput(file: file, provider: job.model.provider, requestID: "sim-\(job.node)")
    }
}
