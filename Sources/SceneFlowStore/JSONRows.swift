import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The JSON rows of the listing commands (`assets list`, `runs list --format json`) and of the
/// server's matching routes: one shape for both.
public enum JSONRows {
    /// Any encodable value in a row.
    public struct Value: Encodable, Sendable {
        let encodeValue: @Sendable (Encoder) throws -> Void
        public init<T: Encodable & Sendable>(_ value: T) { encodeValue = { try value.encode(to: $0) } }
        public func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
    }

    public static func encode(_ rows: [[String: Value]]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }

    /// `[{"product_id", "assets"}]`.
    public static func products(_ products: [(product: String, assets: Int)]) -> [[String: Value]] {
        products.map { ["product_id": .init($0.product), "assets": .init($0.assets)] }
    }
}

extension RunRecord {
    /// A run in the history, as `runs list --format json` and `GET /api/v1/runs` show it.
    public var jsonRow: [String: JSONRows.Value] {
        ["run_id": .init(runID), "template": .init(templateID), "product_id": .init(productID), "status": .init(status),
         "simulated": .init(simulated), "started_at": .init(startedAt.formatted(.iso8601)),
         "finished_at": .init(finishedAt?.formatted(.iso8601)), "spend": .init(spend), "spend_estimated": .init(costEstimated),
         "counts": .init(decodedCounts), "folder": .init(folder), "final_video": .init(finalVideo), "superseded_by": .init(supersededBy)]
    }
}

extension WorkspaceDatabase {
    /// A stored asset, as `assets list --format json` and the server show it.
    public func jsonRow(_ asset: StoredAsset) -> [String: JSONRows.Value] {
        ["asset_key": .init(asset.key), "file": .init(file(of: asset).path), "original_name": .init(asset.originalName),
         "type": .init(asset.mediaType), "sha256": .init(asset.sha256), "bytes": .init(asset.size), "added_at": .init(asset.addedAt.formatted(.iso8601))]
    }
}
