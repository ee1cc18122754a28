import Foundation
import GRDB
import SceneFlowRun

// The workspace's SQLite database is the embedded implementation of the store's protocols
// (`SceneFlowRun/Store`): each record is a GRDB record of its table.

extension WorkspaceDatabase: AssetStore, RunHistoryStore, TakePickStore {}

extension StoredAsset: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "assets"
}

extension RunRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"
}

extension TakePick: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "take_picks"
}
