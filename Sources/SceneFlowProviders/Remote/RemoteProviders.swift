import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun
import SceneFlowTemplate

/// The remote generators the environment has keys for, one per provider, sharing one HTTP
/// client (one transfer thread, one connection cache).
public struct RemoteProviders: Sendable {
    public private(set) var generators: [Provider: Generator] = [:]

    /// Keys and base URLs come from the environment only (`FAL_KEY`, `SCENEFLOW_FAL_URL`, ...).
    /// Throws when a base URL is malformed; a provider without a key is simply absent.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                settings: RemoteSettings? = nil, http: HTTPClient = .shared, finisher: ClipFinisher?) throws {
        let settings = settings ?? RemoteSettings.fromEnvironment(environment)
        if let fal = try ProviderEndpoint.fromEnvironment(.fal, environment) {
            generators[.fal] = FalGenerator(endpoint: fal, settings: settings, http: http, finisher: finisher)
        }
        if let gemini = try ProviderEndpoint.fromEnvironment(.gemini, environment) {
            generators[.gemini] = GeminiImageGenerator(endpoint: gemini, settings: settings, http: http)
        }
        if let veo = try ProviderEndpoint.fromEnvironment(.veo, environment) {
            generators[.veo] = VeoGenerator(endpoint: veo, settings: settings, http: http, finisher: finisher)
        }
        if let eleven = try ProviderEndpoint.fromEnvironment(.elevenlabs, environment) {
            generators[.elevenlabs] = ElevenLabsGenerator(endpoint: eleven, settings: settings, http: http)
        }
    }

    public subscript(provider: Provider) -> Generator? { generators[provider] }
}
