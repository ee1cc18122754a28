import Foundation
import GRDB
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// A take a user approved: later runs of the same job of the same template use it
/// (`RunOptions.picks`). Another template with an identical job does not inherit it: a pick
/// is a review decision about one template's node.
public struct TakePick: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "take_picks"
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

extension WorkspaceDatabase {
    /// Records `pick`, replacing an earlier pick of the same job.
    public func pick(_ pick: TakePick) throws {
        try guarded { try queue.write { db in try pick.upsert(db) } }
    }

    /// The picked take of every job of template `templateID` (the id written in it), by job key.
    public func picks(template templateID: String) throws -> [String: Int] {
        try guarded {
            try queue.read { db in
                Dictionary(try TakePick.filter(Column("template_id") == templateID).fetchAll(db).map { ($0.jobKey, $0.take) },
                           uniquingKeysWith: { a, _ in a })
            }
        }
    }

    /// The pick of one job of a template, if any.
    public func pick(of jobKey: String, template templateID: String) throws -> TakePick? {
        try guarded { try queue.read { db in try TakePick.fetchOne(db, key: ["template_id": templateID, "job_key": jobKey]) } }
    }

    /// A template's picks in a workspace, read without creating anything: none when it has no database yet.
    public static func existingPicks(in workspace: Workspace, template templateID: String) throws -> [String: Int] {
        guard FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("sceneflow.sqlite").path) else { return [:] }
        return try WorkspaceDatabase(workspace: workspace).picks(template: templateID)
    }
}
