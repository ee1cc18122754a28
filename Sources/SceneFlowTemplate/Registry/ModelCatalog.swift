import Foundation
import SceneFlowBasics

/// The registry as JSON (`sceneflow models --format json`, `GET /api/v1/models`): one object per
/// model, with the facts a user chooses by.
public enum ModelCatalog {
    struct Entry: Encodable {
        var id: String
        var provider: String
        var kinds: [String]
        var price: String
        var estimatedSeconds: Double
        var isDefault: Bool
        var keyEnv: String?
        var durations: [Double]?
        var aspectRatios: [String]?
        var maxInputImages: Int?
        var acceptsLastFrame: Bool?
        var note: String?

        enum CodingKeys: String, CodingKey {
            case id, provider, kinds, price, note
            case estimatedSeconds = "estimated_seconds"
            case isDefault = "default"
            case keyEnv = "key_env"
            case durations = "durations_s"
            case aspectRatios = "aspect_ratios"
            case maxInputImages = "max_input_images"
            case acceptsLastFrame = "accepts_last_frame"
        }
    }

    public static func json(_ registry: ModelRegistry = .standard) -> String {
        let entries = registry.models.map { m in
            Entry(id: m.id, provider: m.provider.rawValue, kinds: m.kinds.sorted().map(\.rawValue), price: m.price.summary,
                  estimatedSeconds: m.estimatedSeconds(clipSeconds: 5, characters: 100),
                  isDefault: ModelRegistry.defaultModelIDs.values.contains(m.id), keyEnv: m.provider.keyVariable,
                  durations: m.durations.flatMap { $0.isEmpty ? nil : $0 },
                  aspectRatios: m.aspectRatios.map { r in AspectRatio.allCases.filter(r.contains).map(\.rawValue) },
                  maxInputImages: m.maxInputImages, acceptsLastFrame: m.kinds.contains(.video) ? m.acceptsLastFrame : nil, note: m.note)
        }
        return String(decoding: (try? JSONCoding.pretty.encode(entries)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
