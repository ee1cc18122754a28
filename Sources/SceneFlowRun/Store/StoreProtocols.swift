import Foundation
import SceneFlowBasics
import SceneFlowTemplate

// The store's seams: what the rest of SceneFlow asks of the shared state, as protocols. The
// embedded default is the workspace's SQLite database (`WorkspaceDatabase`, through GRDB); team
// mode puts another implementation behind the same protocols without touching the scheduler, the
// session, the server or the commands.

/// Products' assets: files stored against a product id and a slot, checked by content, kept
/// once by content (in a `BlobStore`).
public protocol AssetStore: Sendable {
    /// Stores files for a product's slot (replacing the slot's files, unless `append`).
    @discardableResult
    func addAssets(product: String, key: String, files: [URL], slotType: SlotType?, append: Bool) throws -> [StoredAsset]
    /// Removes a product's files for a key (or those whose digest starts with `sha256`); returns them.
    @discardableResult
    func removeAssets(product: String, key: String?, sha256: String?) throws -> [StoredAsset]
    func assets(product: String) throws -> [StoredAsset]
    /// Every product with how many assets it has.
    func products() throws -> [(product: String, assets: Int)]
    /// Where a stored asset's bytes can be read on this host.
    func file(of asset: StoredAsset) -> URL
    /// A product's stored files as hydration inputs.
    func hydrationInputs(product: String, except keys: Set<String>, requireAssets: Bool) throws -> HydrationInputs
}

/// The run history.
public protocol RunHistoryStore: Sendable {
    /// Records a run as it starts (`running`, with this process's identity).
    func begin(_ report: RunReport, folder: URL) throws
    /// Records a run as it ends.
    func record(_ report: RunReport, folder: URL) throws
    func runs(limit: Int, product: String?, template: String?) throws -> [RunRecord]
    /// A run by its id, or by a prefix that names exactly one run.
    func lookup(_ id: String) throws -> RunLookup
    /// Runs whose process died while they ran, settled (`interrupted`, or as their report says).
    @discardableResult
    func settleAbandonedRuns() throws -> [RunRecord]
    /// A run added from its folder's `run.json`.
    @discardableResult
    func importRun(folder: URL) throws -> RunRecord
    /// A run's report as the history keeps it, for a run whose folder is on another host (team
    /// mode); nil where reports live only in run folders (the embedded default).
    func report(of runID: String) throws -> RunReport?
    /// Asks the process that runs `runID` to cancel it, wherever it runs (team mode: a flag its
    /// process polls). False where the store cannot carry the request (the embedded default:
    /// `runs cancel` signals the process, which is on this host).
    func requestCancel(_ runID: String) throws -> Bool
    /// Whether someone asked to cancel `runID` (`runs cancel` on any host).
    func cancelRequested(_ runID: String) throws -> Bool
    /// A running run's report as it goes (team mode: other hosts follow it live); nothing where
    /// the run folder's `run.json` is the live report (the embedded default).
    func progress(_ report: RunReport) throws
    /// Whether `progress` is kept (so a run tells it how it goes).
    var keepsProgress: Bool { get }
}

/// The takes users picked, per template and job.
public protocol TakePickStore: Sendable {
    func pick(_ pick: TakePick) throws
    func picks(template: String) throws -> [String: Int]
    func pick(of jobKey: String, template: String) throws -> TakePick?
}

/// All the shared state a session, a server or a command works with.
public typealias Store = AssetStore & RunHistoryStore & TakePickStore

extension RunHistoryStore {
    /// Runs `body`, trying again while the store is held by another process (each try waits the
    /// store's own timeout) or its server is away (PostgreSQL restarting), for at most `seconds`:
    /// recording a run outlasts a long write elsewhere and a database restart. `waiting` hears
    /// the first wait's reason (a run says so in its events).
    public func patiently<T>(for seconds: Double = 30, waiting: (String) -> Void = { _ in }, _ body: (Self) throws -> T) async throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        var told = false
        while true {
            do { return try body(self) } catch let error as StoreError where (error.isLocked || error.isUnavailable) && Date() < deadline {
                if !told { waiting(error.description); told = true }
                try await Task.sleep(for: .milliseconds(error.isUnavailable ? 500 : 200))
            }
        }
    }

    public func runs(limit: Int = 20) throws -> [RunRecord] { try runs(limit: limit, product: nil, template: nil) }

    public func report(of runID: String) throws -> RunReport? { nil }
    public func requestCancel(_ runID: String) throws -> Bool { false }
    public func cancelRequested(_ runID: String) throws -> Bool { false }
    public func progress(_ report: RunReport) throws {}
    public var keepsProgress: Bool { false }

    /// Adds (or updates) a run in the history from its folder's `run.json`: for a run whose end
    /// the history could not take (`sceneflow runs import RUN_FOLDER`). Returns the record.
    @discardableResult
    public func importRun(folder: URL) throws -> RunRecord {
        let loaded: LoadedRun
        do { loaded = try LoadedRun.read(folder.path) } catch { throw StoreError(error.description) }
        guard loaded.report.status.isFinished else {
            throw StoreError("run \(loaded.report.runID) in \(loaded.folder.path) has not ended (its report says running); import it once it has")
        }
        try record(loaded.report, folder: loaded.folder)
        return RunRecord(loaded.report, folder: loaded.folder)
    }
}

extension AssetStore {
    /// A product's stored files as hydration inputs (slots, and avatar or background images as
    /// `storedReplacements`), each file where `readable` says this host reads it. Throws if
    /// nothing is stored for the product, unless `requireAssets` is off. Every store's
    /// `hydrationInputs` is this, with its own way to a readable file.
    public func hydrationInputs(product: String, except keys: Set<String>, requireAssets: Bool,
                                readable: (StoredAsset) throws -> URL) throws -> HydrationInputs {
        let stored = try assets(product: product)
        guard !stored.isEmpty || !requireAssets else {
            let known = try products().map(\.product)
            throw StoreError("no assets are stored for product \"\(Slug.shown(product))\"\(Suggestions.didYouMean(product, in: known)); add them with `sceneflow assets add --product \(product) KEY FILE...`")
        }
        var inputs = HydrationInputs()
        inputs.productID = product
        for asset in stored where !keys.contains(asset.key) {
            let url = try readable(asset)
            if HydrationInputs.imageOverrideProblem(asset.key) == nil {
                inputs.storedReplacements[asset.key] = url
                continue
            }
            inputs.files.append(.init(key: asset.key, path: asset.originalName, url: url, origin: .store(product: product)))
        }
        return inputs
    }

    @discardableResult
    public func addAssets(product: String, key: String, files: [URL], slotType: SlotType? = nil) throws -> [StoredAsset] {
        try addAssets(product: product, key: key, files: files, slotType: slotType, append: false)
    }

    @discardableResult
    public func removeAssets(product: String, key: String? = nil) throws -> [StoredAsset] {
        try removeAssets(product: product, key: key, sha256: nil)
    }

    public func hydrationInputs(product: String, requireAssets: Bool = true) throws -> HydrationInputs {
        try hydrationInputs(product: product, except: [], requireAssets: requireAssets)
    }
}
