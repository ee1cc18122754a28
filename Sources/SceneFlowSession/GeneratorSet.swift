import Foundation
import SceneFlowBasics
import SceneFlowProviders
import SceneFlowRun
import SceneFlowTemplate

/// Which generator runs which model: the local engine, the remote providers the environment has
/// keys for, or, for a rehearsal, the simulated generator for everything.
public struct GeneratorSet: Sendable {
    public var local: Generator?
    public var simulated: Generator?
    public var remote: [Provider: Generator] = [:]
    /// A provider base URL that cannot work (reported by `check`).
    public var configurationError: String?
    let environment: [String: String]

    public static func make(offline: Bool, simulate: Double?, environment: [String: String] = ProcessInfo.processInfo.environment) -> GeneratorSet {
        if let simulate { return GeneratorSet(local: nil, simulated: SimulatedGenerator(speed: simulate), environment: environment) }
        let local = LocalEngine(environment: environment)
        var set = GeneratorSet(local: local, simulated: nil, environment: environment)
        guard !offline else { return set }
        do {
            set.remote = try RemoteProviders(environment: environment, finisher: local).generators
        } catch {
            set.configurationError = "\(error)"
        }
        return set
    }

    public var isSimulated: Bool { simulated != nil }

    public func generator(for model: ModelInfo) -> Generator? {
        if let simulated { return simulated }
        return model.provider == .local ? local : remote[model.provider]
    }

    /// Before anything runs: every key the jobs need, the local tools, and a generator for every job.
    public func check(_ models: [ModelInfo]) throws(HydrationError) {
        if simulated == nil {
            let missing = Provider.missingKeys(for: models, environment: environment)
            if !missing.isEmpty { throw .missingKeys(missing) }
        }
        if let configurationError { throw .configuration(configurationError) }
        // The local engine's tools: for local jobs, and to conform remote clips and cut the final video.
        if simulated == nil, models.contains(where: { $0.provider == .local || $0.kinds.contains(.video) }) {
            do { try LocalEngineLoader.preflight(environment: environment) } catch { throw .missingTools("\(error)") }
        }
        let unavailable = Set(models.filter { generator(for: $0) == nil }.map { $0.provider.rawValue })
        if !unavailable.isEmpty {
            throw .configuration("this build has no generator for \(unavailable.sorted().joined(separator: ", ")); run with --offline to use the local engine")
        }
    }
}
