import Foundation
import SceneFlowBasics

// The values a store keeps, whatever keeps them: the workspace's SQLite database today,
// PostgreSQL in team mode. Plain `Codable` values; each backend maps them to its tables.

/// An asset stored against a product.
public struct StoredAsset: Sendable, Codable, Equatable {
    public var productID: String
    public var key: String
    public var sha256: String
    /// By content: png, jpeg, webp, mp4, mov, webm.
    public var mediaType: String
    public var size: Int64
    /// The file name it was added from, for people.
    public var originalName: String
    public var addedAt: Date

    public init(productID: String, key: String, sha256: String, mediaType: String, size: Int64, originalName: String, addedAt: Date) {
        self.productID = productID
        self.key = key
        self.sha256 = sha256
        self.mediaType = mediaType
        self.size = size
        self.originalName = originalName
        self.addedAt = addedAt
    }

    enum CodingKeys: String, CodingKey {
        case key, sha256, size
        case productID = "product_id"
        case mediaType = "media_type"
        case originalName = "original_name"
        case addedAt = "added_at"
    }
}

/// A run, as history.
public struct RunRecord: Sendable, Codable, Equatable {
    public var runID: String
    public var templateID: String
    public var templateSHA256: String
    public var templatePath: String?
    public var productID: String?
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// Kept for older readers; `costMicros` is the amount.
    public var cost: Double
    public var costMicros: Int64
    /// Some of the spend is the registry's estimate (providers that report no price, rehearsals).
    public var costEstimated: Bool
    public var simulated: Bool
    public var folder: String
    public var finalVideo: String?
    /// The run's counts as JSON (`RunReport.Counts`).
    public var counts: String
    /// A later run wrote into this run's folder: its files are that run's now.
    public var supersededBy: String?
    /// The process that runs it, while it is `running` (to tell a killed run from a live one).
    public var pid: Int32?
    public var processStart: String?

    public var spend: Money { Money(micros: costMicros) }

    enum CodingKeys: String, CodingKey {
        case status, cost, folder, counts, simulated, pid
        case runID = "run_id"
        case templateID = "template_id"
        case templateSHA256 = "template_sha256"
        case templatePath = "template_path"
        case productID = "product_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case finalVideo = "final_video"
        case costMicros = "cost_micros"
        case costEstimated = "cost_estimated"
        case supersededBy = "superseded_by"
        case processStart = "process_start"
    }

    /// A row as a store reads it back; the rest of the fields are set one by one.
    public init(runID: String, templateID: String, templateSHA256: String, startedAt: Date, status: String, folder: String, counts: String) {
        self.runID = runID
        self.templateID = templateID
        self.templateSHA256 = templateSHA256
        self.startedAt = startedAt
        self.status = status
        self.folder = folder
        self.counts = counts
        cost = 0
        costMicros = 0
        costEstimated = false
        simulated = false
    }

    /// The history's row for `report`, whose folder is `folder`.
    public init(_ report: RunReport, folder: URL) {
        runID = report.runID
        templateID = report.template.id
        templateSHA256 = report.template.sha256
        templatePath = report.template.path
        productID = report.productID
        status = report.status.rawValue
        startedAt = report.startedAt
        finishedAt = report.finishedAt
        cost = report.cost.dollars
        costMicros = report.cost.micros
        costEstimated = report.costEstimated
        simulated = report.simulated
        self.folder = folder.path
        finalVideo = report.finalVideo.map { folder.appendingPathComponent($0).path }
        counts = (try? JSONCoding.compact.encode(report.counts)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public var decodedCounts: RunReport.Counts? { try? JSONCoding.decoder.decode(RunReport.Counts.self, from: Data(counts.utf8)) }
}

/// What a run id (or a prefix of one) names.
public enum RunLookup: Sendable {
    case found(RunRecord)
    case ambiguous([String])
    case none
}

/// A take a user approved: later runs of the same job of the same template use it
/// (`RunOptions.picks`). Another template with an identical job does not inherit it: a pick
/// is a review decision about one template's node.
public struct TakePick: Sendable, Codable, Equatable {
    /// The job's key (its first take's cache key): the same job in any later run.
    public var jobKey: String
    public var take: Int
    public var node: String
    public var templateID: String
    /// The run whose take list the pick was made from.
    public var runID: String
    public var pickedAt: Date

    public init(jobKey: String, take: Int, node: String, templateID: String, runID: String, pickedAt: Date = Date()) {
        self.jobKey = jobKey
        self.take = take
        self.node = node
        self.templateID = templateID
        self.runID = runID
        self.pickedAt = pickedAt
    }

    enum CodingKeys: String, CodingKey {
        case take, node
        case jobKey = "job_key"
        case templateID = "template_id"
        case runID = "run_id"
        case pickedAt = "picked_at"
    }
}

/// A problem with a store, said plainly (never with SQL, a password or a key in it).
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// A file over the store's size limit (the server answers 413).
    public var isTooLarge = false
    /// There is no workspace (or no database in it) where a command only reads one.
    public var isMissing = false
    /// Another process holds the database's lock: trying again later may succeed.
    public var isLocked = false
    /// The database server is down or went away (team mode): trying again later may succeed.
    public var isUnavailable = false
    /// Concurrent writes collided (a deadlock, a serialization failure): the transaction may be
    /// tried again at once.
    public var isRetryableConflict = false
    public init(_ description: String, tooLarge: Bool = false, missing: Bool = false, locked: Bool = false,
                unavailable: Bool = false, conflict: Bool = false) {
        self.description = description
        isTooLarge = tooLarge
        isMissing = missing
        isLocked = locked
        isUnavailable = unavailable
        isRetryableConflict = conflict
    }
}
