import Foundation
import GRDB
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

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
