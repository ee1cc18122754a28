import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowStore
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let product = packageRoot.appendingPathComponent("samples/products/grinder/product.png")
let logo = packageRoot.appendingPathComponent("samples/products/grinder/logo.png")

func freshWorkspace() -> Workspace {
    Workspace(root: FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-store-\(UUID().uuidString)"))
}

@Suite(.timeLimit(.minutes(2))) struct AssetStoreTests {
    @Test func theSameFileIsStoredOnce() throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        let db = try WorkspaceDatabase(workspace: ws)
        try db.addAssets(product: "a", key: "product_1", files: [product])
        try db.addAssets(product: "a", key: "product_1", files: [product])
        try db.addAssets(product: "b", key: "product_1", files: [product, logo])
        #expect(try db.assets(product: "a").count == 1)
        #expect(try db.assets(product: "b").map(\.originalName) == ["product.png", "logo.png"])
        let blobs = (FileManager.default.enumerator(atPath: db.assetsDirectory.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }
        #expect(blobs.count == 2, "two distinct files, stored once each")
        let stored = try #require(try db.assets(product: "a").first)
        #expect(stored.sha256 == Digest.sha256(try Data(contentsOf: product)) && stored.mediaType == "png" && stored.size == 1340)
        #expect(try db.products().map(\.product) == ["a", "b"])
    }

    @Test func filesAreCheckedByContent() throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        let db = try WorkspaceDatabase(workspace: ws)
        let fake = ws.root.appendingPathComponent("fake.png")
        try Data("<html>not found</html>".utf8).write(to: fake)
        #expect(throws: StoreError.self) { try db.addAssets(product: "a", key: "product_1", files: [fake]) }
        #expect(try db.assets(product: "a").isEmpty, "nothing half-added")
    }

    @Test func anImageOverTheCapIsTooLargeAndNotStored() throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        let db = try WorkspaceDatabase(workspace: ws)
        let big = ws.root.appendingPathComponent("big.png")
        var data = try Data(contentsOf: product)
        data.append(Data(count: 65 << 20))
        try data.write(to: big)
        do {
            try db.addAssets(product: "a", key: "product_1", files: [big])
            Issue.record("a 65 MB image was stored")
        } catch let error as StoreError {
            #expect(error.isTooLarge, "\(error)")
            #expect(error.description.contains("64 MB"))
        }
        #expect(try db.assets(product: "a").isEmpty)
    }

    @Test func removingTheLastReferenceDeletesTheFile() throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        let db = try WorkspaceDatabase(workspace: ws)
        let a = try db.addAssets(product: "a", key: "product_1", files: [product])[0]
        try db.addAssets(product: "b", key: "product_1", files: [product])
        #expect(try db.removeAssets(product: "a").count == 1)
        #expect(FileManager.default.fileExists(atPath: db.file(of: a).path), "still used by b")
        #expect(try db.removeAssets(product: "b", key: "product_1").count == 1)
        #expect(!FileManager.default.fileExists(atPath: db.file(of: a).path))
    }

    @Test func storedAssetsFillHydrationInputs() throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        let db = try WorkspaceDatabase(workspace: ws)
        try db.addAssets(product: "grinder-x1", key: "product_1", files: [product])
        try db.addAssets(product: "grinder-x1", key: "brand_logo", files: [logo])
        let inputs = try db.hydrationInputs(product: "grinder-x1", except: ["brand_logo"])
        #expect(inputs.productID == "grinder-x1" && inputs.files.map(\.key) == ["product_1"])
        #expect(FileManager.default.fileExists(atPath: inputs.files[0].url.path))
        let error = try #require(throws: StoreError.self) { try db.hydrationInputs(product: "grinder-x2") }
        #expect(error.description.contains("no assets are stored for product \"grinder-x2\"; did you mean \"grinder-x1\"?"))
    }
}

@Suite(.timeLimit(.minutes(2)), .tags(.endToEnd)) struct DatabaseFaultTests {
    @Test func aLockedDatabaseIsWaitedForThenReported() async throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        _ = try WorkspaceDatabase(workspace: ws)
        // Another process holds an exclusive lock, and says so by creating a file.
        let marker = ws.root.appendingPathComponent("locked")
        let script = "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nopen(sys.argv[2], 'w').close()\ntime.sleep(60)\n"
        let other = try ChildProcess.launch(Command(try #require(Command.find("python3")),
                                                    arguments: ["-c", script, ws.root.appendingPathComponent("sceneflow.sqlite").path, marker.path],
                                                    stdout: .discard, stderr: .discard))
        #expect(await waitUntil(timeout: 120) { FileManager.default.fileExists(atPath: marker.path) })
        let start = Date()
        let error = try #require(throws: StoreError.self) {
            let db = try WorkspaceDatabase(workspace: ws, busyTimeout: 0.3)
            try db.addAssets(product: "a", key: "product_1", files: [product])
        }
        #expect(Date().timeIntervalSince(start) >= 0.3, "it waited before giving up")
        #expect(error.description.contains("locked by another process"))
        other.terminate()
        _ = await other.exit()
        let db = try WorkspaceDatabase(workspace: ws, busyTimeout: 0.3)
        try db.addAssets(product: "a", key: "product_1", files: [product])
        #expect(try db.assets(product: "a").count == 1, "works once the lock is gone")
    }

    @Test func aCorruptedDatabaseIsReportedAndLeftUntouched() throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        try FileManager.default.createDirectory(at: ws.root, withIntermediateDirectories: true)
        let path = ws.root.appendingPathComponent("sceneflow.sqlite")
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: path)
        let error = try #require(throws: StoreError.self) { try WorkspaceDatabase(workspace: ws) }
        #expect(error.description.contains("is corrupted") && error.description.contains("left untouched"))
        #expect(try Data(contentsOf: path) == garbage, "never silently recreated")
    }
}

@Suite(.timeLimit(.minutes(2))) struct RunHistoryTests {
    @Test func runsAreRecordedAndFoundByPrefix() throws {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        let db = try WorkspaceDatabase(workspace: ws)
        func report(_ id: String, product: String?, status: RunReport.Status, at date: Date) -> RunReport {
            var made = RunReport.Node(id: "hook.first_frame", kind: .firstFrame, job: .firstFrame, status: .succeeded, attempts: 1)
            made.cost = Money(dollars: 1.25)
            return RunReport(runID: id, template: .init(id: "t", sha256: String(repeating: "a", count: 64), path: "t.json"), status: status,
                             simulated: false, startedAt: date, finishedAt: date, offline: true, productID: product,
                             finalVideo: status == .succeeded ? "final.mp4" : nil, nodes: [made])
        }
        try db.record(report("20260101-aaa", product: "p1", status: .succeeded, at: Date(timeIntervalSince1970: 100)), folder: ws.root.appendingPathComponent("r1"))
        try db.record(report("20260102-bbb", product: "p2", status: .partial, at: Date(timeIntervalSince1970: 200)), folder: ws.root.appendingPathComponent("r2"))
        #expect(try db.runs().map(\.runID) == ["20260102-bbb", "20260101-aaa"], "newest first")
        #expect(try db.runs(product: "p1").map(\.runID) == ["20260101-aaa"])
        guard case .found(let found) = try db.lookup("20260101") else { Issue.record("a unique prefix finds its run"); return }
        #expect(found.finalVideo == ws.root.appendingPathComponent("r1/final.mp4").path && found.spend == Money(dollars: 1.25))
        guard case .ambiguous(let ids) = try db.lookup("2026") else { Issue.record("an ambiguous prefix is reported as such"); return }
        #expect(ids == ["20260101-aaa", "20260102-bbb"])
    }
}

@Suite(.timeLimit(.minutes(2))) struct BatchFileTests {
    func read(_ csv: String, store: [String: [URL]] = [:]) throws -> (BatchFile, [Diagnostic]) {
        let ws = freshWorkspace()
        defer { try? FileManager.default.removeItem(at: ws.root) }
        let db = try WorkspaceDatabase(workspace: ws)
        for (id, files) in store { try db.addAssets(product: id, key: "product_1", files: files) }
        let path = packageRoot.appendingPathComponent("samples/products/batch-\(UUID().uuidString).csv")
        try Data(csv.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let loaded = try LoadedTemplate.load(path: packageRoot.appendingPathComponent("samples/unboxing.json").path)
        var (batch, diagnostics) = try BatchFile.read(path: path.path, loaded: loaded, template: loaded.template!, database: db)
        diagnostics = diagnostics.map { var d = $0; if d.file == path.path { d.file = "batch.csv" }; return d }
        return (batch, diagnostics)
    }

    @Test func goodFileWithStoreFallback() throws {
        let (batch, diagnostics) = try read("product_id,product_1\np1,grinder/product.png\np2,\n", store: ["p2": [logo]])
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.textLine))")
        #expect(batch.products.map(\.id) == ["p1", "p2"])
        #expect(batch.products[1].inputs.files.first?.origin.isStore == true)
    }

    @Test func headerProblemsStopEverything() throws {
        let (_, unknown) = try read("product_id,product_one\np1,grinder/product.png\n")
        #expect(unknown.map(\.textLine) == ["batch.csv:1:1: error: column \"product_one\" is not a slot of the template; did you mean \"product_1\"? [unknown-slot] (at product_one)"])
        let (_, missing) = try read("sku,product_1\np1,grinder/product.png\n")
        #expect(missing.contains { $0.code == .missingField && $0.path == "product_id" })
    }

    @Test func rowProblemsAreAllReportedWithTheirLine() throws {
        let (_, diagnostics) = try read("product_id,product_1\np1,grinder/product.png\np1,grinder/product.png\np2,grinder/missing.png\np3,grinder/demo.mp4\np4,\n")
        let lines = Set(diagnostics.map { "\($0.line ?? 0) \($0.code.rawValue)" })
        #expect(lines == ["3 duplicate-id", "4 asset-not-found", "5 asset-type-mismatch", "6 required-slot-empty"], "\(diagnostics.map(\.textLine))")
        #expect(diagnostics.allSatisfy { $0.severity == .error })
        #expect(diagnostics.first { $0.line == 6 }?.message.hasPrefix("product \"p4\": ") == true)
    }
}

extension HydrationInputs.Origin {
    var isStore: Bool { if case .store = self { return true } else { return false } }
}
