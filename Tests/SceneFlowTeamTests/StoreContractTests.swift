import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowStore
@testable import SceneFlowTeam
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// One contract, every backend: what the store promises does not depend on where it keeps
/// its state. The PostgreSQL cases talk to the real server `scripts/team-services` started,
/// and their bytes go to the real S3-compatible server or a folder.
@Suite(.tags(.endToEnd), .timeLimit(.minutes(3))) struct StoreContractTests {
    @Test(arguments: Backend.allCases)
    func theSameFileIsStoredOnceAndFoundByAnotherHost(_ backend: Backend) throws {
        let s = try StoreUnderTest.make(backend)
        defer { s.cleanup() }
        try s.store.addAssets(product: "a", key: "product_1", files: [productImage])
        try s.store.addAssets(product: "a", key: "product_1", files: [productImage])
        try s.store.addAssets(product: "b", key: "product_1", files: [productImage, logoImage])
        #expect(try s.store.assets(product: "a").count == 1)
        #expect(try s.store.assets(product: "b").map(\.originalName) == ["product.png", "logo.png"])
        let stored = try #require(try s.store.assets(product: "a").first)
        #expect(stored.sha256 == Digest.sha256(try Data(contentsOf: productImage)) && stored.mediaType == "png" && stored.size == 1340)
        #expect(try s.store.products().map(\.product) == ["a", "b"])
        #expect(try s.store.products().map(\.assets) == [1, 2])

        // Another host reads the same rows and gets the same bytes.
        let other = try s.otherHost()
        let inputs = try other.hydrationInputs(product: "b", except: [], requireAssets: true)
        #expect(inputs.files.map(\.key) == ["product_1", "product_1"])
        for file in inputs.files {
            let digest = try Digest.sha256(fileAt: file.url)
            #expect([Digest.sha256(try Data(contentsOf: productImage)), Digest.sha256(try Data(contentsOf: logoImage))].contains(digest))
        }
    }

    @Test(arguments: Backend.allCases)
    func badFilesAreRefusedAndNothingIsHalfAdded(_ backend: Backend) throws {
        let s = try StoreUnderTest.make(backend)
        defer { s.cleanup() }
        let fake = try temporaryDirectory().appendingPathComponent("fake.png")
        try Data("<html>not found</html>".utf8).write(to: fake)
        #expect(throws: StoreError.self) { try s.store.addAssets(product: "a", key: "product_1", files: [productImage, fake]) }
        #expect(try s.store.assets(product: "a").isEmpty, "nothing half-added")
        #expect(throws: StoreError.self) { try s.store.addAssets(product: "Not A Slug", key: "product_1", files: [productImage]) }
        #expect(throws: StoreError.self) { try s.store.removeAssets(product: "a", key: nil, sha256: "abc") }
        do {
            _ = try s.store.hydrationInputs(product: "nothing-here", except: [], requireAssets: true)
            Issue.record("a product with no assets gave inputs")
        } catch let error as StoreError {
            #expect(error.description.contains("no assets are stored for product \"nothing-here\""))
        }
    }

    @Test(arguments: Backend.allCases)
    func replacingAndRemovingCollectsOnlyUnreferencedBytes(_ backend: Backend) throws {
        let s = try StoreUnderTest.make(backend)
        defer { s.cleanup() }
        let a = try s.store.addAssets(product: "a", key: "product_1", files: [productImage])[0]
        try s.store.addAssets(product: "b", key: "product_1", files: [productImage])
        #expect(try s.store.removeAssets(product: "a", key: nil, sha256: nil).count == 1)
        #expect(try s.hasBytes(a), "still used by b")
        // Replacing b's slot drops the last reference to the product image.
        let logo = try s.store.addAssets(product: "b", key: "product_1", files: [logoImage])[0]
        #expect(try !s.hasBytes(a))
        #expect(try s.hasBytes(logo))
        #expect(try s.store.assets(product: "b").map(\.sha256) == [logo.sha256])
        // --append keeps what is there; a digest prefix removes one file.
        try s.store.addAssets(product: "b", key: "product_1", files: [productImage], slotType: nil, append: true)
        #expect(try s.store.assets(product: "b").count == 2)
        #expect(try s.store.removeAssets(product: "b", key: nil, sha256: String(logo.sha256.prefix(10))).map(\.sha256) == [logo.sha256])
        #expect(try !s.hasBytes(logo))
    }

    @Test(arguments: Backend.allCases)
    func theHistoryRecordsLooksUpAndLists(_ backend: Backend) throws {
        let s = try StoreUnderTest.make(backend)
        defer { s.cleanup() }
        let folder = try temporaryDirectory()
        var ids: [String] = []
        for i in 0..<12 {
            var report = RunReport(runID: "20261202-1200\(String(format: "%02d", i))-abcd\(i % 2)", template: .init(id: i < 6 ? "t1" : "t2", sha256: "ab", path: nil),
                                   status: .running, simulated: false, startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)), finishedAt: nil,
                                   offline: true, productID: i % 3 == 0 ? "p" : nil, finalVideo: nil, nodes: [])
            try s.store.begin(report, folder: folder.appendingPathComponent("\(i)"))
            report.status = .succeeded
            report.finishedAt = report.startedAt.addingTimeInterval(5)
            try s.store.record(report, folder: folder.appendingPathComponent("\(i)"))
            ids.append(report.runID)
        }
        let listed = try s.store.runs(limit: 5, product: nil, template: nil)
        #expect(listed.map(\.runID) == Array(ids.reversed().prefix(5)), "newest first")
        #expect(listed.allSatisfy { $0.status == "succeeded" && $0.finishedAt != nil })
        #expect(try s.store.runs(limit: 50, product: "p", template: nil).count == 4)
        #expect(try s.store.runs(limit: 50, product: nil, template: "t1").count == 6)
        #expect(try s.store.runs(limit: 50, product: "p", template: "t2").map(\.runID) == [ids[9], ids[6]])
        guard case .found(let exact) = try s.store.lookup(ids[3]) else { Issue.record("exact id not found"); return }
        #expect(exact.runID == ids[3] && exact.templateID == "t1" && exact.productID == "p")
        guard case .ambiguous(let many) = try s.store.lookup("20261202-1200") else { Issue.record("a shared prefix is ambiguous"); return }
        #expect(many.count == 11, "at most 11 are named")
        guard case .found(let byPrefix) = try s.store.lookup("20261202-120011") else { Issue.record("unique prefix not found"); return }
        #expect(byPrefix.runID == ids[11])
        guard case .none = try s.store.lookup("2026%") else { Issue.record("a % is no wildcard"); return }
    }

    @Test(arguments: Backend.allCases)
    func picksAreOnePerJobOfATemplate(_ backend: Backend) throws {
        let s = try StoreUnderTest.make(backend)
        defer { s.cleanup() }
        try s.store.pick(TakePick(jobKey: "k1", take: 2, node: "hook.first_frame", templateID: "t", runID: "r1"))
        try s.store.pick(TakePick(jobKey: "k1", take: 3, node: "hook.first_frame", templateID: "t", runID: "r2"))
        try s.store.pick(TakePick(jobKey: "k1", take: 5, node: "hook.first_frame", templateID: "other", runID: "r3"))
        #expect(try s.store.picks(template: "t") == ["k1": 3])
        #expect(try s.store.picks(template: "other") == ["k1": 5])
        #expect(try s.store.pick(of: "k1", template: "t")?.runID == "r2")
        #expect(try s.store.pick(of: "k2", template: "t") == nil)
        #expect(try s.otherHost().picks(template: "t") == ["k1": 3])
    }

    /// Issue 23's race, across hosts: `assets add` of product b and `assets remove` of product a,
    /// the same file, at once. After every round, every row's bytes are in the store.
    @Test(arguments: Backend.allCases)
    func anAddRacingARemoveNeverLosesTheBytes(_ backend: Backend) async throws {
        let s = try StoreUnderTest.make(backend)
        defer { s.cleanup() }
        let adder = try s.otherHost()
        let remover = s.store
        for round in 0..<12 {
            try remover.addAssets(product: "a", key: "product_1", files: [productImage])
            async let added: Void = Task.detached { _ = try adder.addAssets(product: "b", key: "product_1", files: [productImage]) }.value
            async let removed: Void = Task.detached { _ = try remover.removeAssets(product: "a", key: nil, sha256: nil) }.value
            try await added
            try await removed
            let rows = try remover.assets(product: "b")
            #expect(rows.count == 1, "round \(round)")
            for row in rows { #expect(try s.hasBytes(row), "round \(round): b's row points at bytes that are gone") }
            try remover.removeAssets(product: "b", key: nil, sha256: nil)
        }
    }
}
