import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The rows of the listing commands (`assets list`, `runs list|show --format json`) and of the
/// server's matching routes: one `Codable` shape for both. Absent values are written as null.

/// A product with stored assets.
public struct ProductRow: Codable, Sendable, Equatable {
    public var productID: String
    public var assets: Int

    public init(productID: String, assets: Int) {
        self.productID = productID
        self.assets = assets
    }

    enum CodingKeys: String, CodingKey { case assets; case productID = "product_id" }
}

/// A stored asset. `file` is the stored file's path (relative to the workspace when served);
/// `url` (server only) is where its bytes are.
public struct AssetRow: Codable, Sendable, Equatable {
    public var assetKey: String
    public var file: String
    public var originalName: String
    public var type: String
    public var sha256: String
    public var bytes: Int64
    public var addedAt: String
    public var url: String?

    enum CodingKeys: String, CodingKey {
        case file, type, sha256, bytes, url
        case assetKey = "asset_key"
        case originalName = "original_name"
        case addedAt = "added_at"
    }
}

/// A run in the history (`runs list`, `GET /api/v1/runs`); `failed` only in `runs show`.
public struct RunRow: Codable, Sendable {
    public struct Failure: Codable, Sendable {
        public var node: String
        public var error: String
        public init(node: String, error: String) {
            self.node = node
            self.error = error
        }
    }

    public var runID: String
    public var template: String
    public var productID: String?
    public var status: String
    public var simulated: Bool
    public var startedAt: String
    public var finishedAt: String?
    public var spend: Money
    public var spendEstimated: Bool
    public var counts: RunReport.Counts?
    public var folder: String
    public var finalVideo: String?
    public var supersededBy: String?
    public var failed: [Failure]?
    /// How far the run went: `frames` (frames only), `clips`, or `final` (the cut is made).
    public var stage: String?
    /// Where its first scene's first frame can be fetched (the server's listing only).
    public var thumbnail: String?

    enum CodingKeys: String, CodingKey {
        case template, status, simulated, spend, counts, folder, failed, stage, thumbnail
        case runID = "run_id"
        case productID = "product_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case spendEstimated = "spend_estimated"
        case finalVideo = "final_video"
        case supersededBy = "superseded_by"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(runID, forKey: .runID)
        try c.encode(template, forKey: .template)
        try c.encode(productID, forKey: .productID)
        try c.encode(status, forKey: .status)
        try c.encode(simulated, forKey: .simulated)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(spend, forKey: .spend)
        try c.encode(spendEstimated, forKey: .spendEstimated)
        try c.encode(counts, forKey: .counts)
        try c.encode(folder, forKey: .folder)
        try c.encode(finalVideo, forKey: .finalVideo)
        try c.encode(supersededBy, forKey: .supersededBy)
        try c.encodeIfPresent(failed, forKey: .failed)
        try c.encodeIfPresent(stage, forKey: .stage)
        try c.encodeIfPresent(thumbnail, forKey: .thumbnail)
    }
}

extension RunRecord {
    /// This run as the history lists it.
    public var row: RunRow {
        RunRow(runID: runID, template: templateID, productID: productID, status: status, simulated: simulated,
               startedAt: startedAt.formatted(.iso8601), finishedAt: finishedAt?.formatted(.iso8601), spend: spend,
               spendEstimated: costEstimated, counts: decodedCounts, folder: folder, finalVideo: finalVideo, supersededBy: supersededBy)
    }
}

extension AssetStore {
    /// A stored asset as the listings show it.
    public func row(_ asset: StoredAsset) -> AssetRow {
        AssetRow(assetKey: asset.key, file: file(of: asset).path, originalName: asset.originalName, type: asset.mediaType, sha256: asset.sha256,
                 bytes: asset.size, addedAt: asset.addedAt.formatted(.iso8601))
    }
}

/// Rows as the listing commands print them: a pretty-printed JSON array (or object).
public enum JSONRows {
    public static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.pretty.encode(value), as: UTF8.self)
    }
}
