import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd)) struct StoreCommandTests {
    @Test func assetsAreFoundAgainByProduct() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ws = ["--workspace", dir.path]
        #expect(try await sceneflow(["assets", "add", "--product", "grinder-x1", "product_1", "samples/products/grinder/product.png"] + ws).status == 0)
        let list = try await sceneflow(["assets", "list", "--product", "grinder-x1"] + ws)
        #expect(list.status == 0 && list.stdout.contains("product_1") && list.stdout.contains("product.png"))
        #expect(try await sceneflow(["validate", "samples/unboxing.json", "--product", "grinder-x1"] + ws).status == 0)
        let unknown = try await sceneflow(["validate", "samples/unboxing.json", "--product", "grinder-x2"] + ws)
        #expect(unknown.status == 1 && unknown.stderr.contains("did you mean \"grinder-x1\"?"))
        let notMedia = try await sceneflow(["assets", "add", "--product", "p", "product_1", "README.md"] + ws)
        #expect(notMedia.status == 1 && notMedia.stderr.contains("checked by content"))
        let run = try await sceneflow(["run", "samples/unboxing.json", "--product", "grinder-x1", "--simulate", "1000"] + ws)
        #expect(run.status == 0, "\(run.stderr)")
        let runs = try await sceneflow(["runs", "list"] + ws)
        #expect(runs.stdout.contains("grinder-unboxing") && runs.stdout.contains("grinder-x1"))
        #expect(try await sceneflow(["assets", "remove", "--product", "grinder-x1"] + ws).status == 0)
        #expect(try await sceneflow(["assets", "list", "--product", "grinder-x1"] + ws).status == 1)
    }

    @Test func badBatchFilesRunNothing() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("products.csv")
        try Data("product_id,product_1,logo\np1,\(packageRoot.path)/samples/products/grinder/product.png,\np1,x.png,\n".utf8).write(to: csv)
        let result = try await sceneflow(["batch", "samples/unboxing.json", "--products", csv.path, "--simulate", "1000", "--workspace", dir.appendingPathComponent("ws").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[unknown-slot]") && result.stderr.contains("\"logo\""))
        #expect(result.stderr.contains("nothing was run"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("ws/runs").path))
    }

    @Test func batchRunsEveryProductAndSummarises() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("products.csv")
        let grinder = packageRoot.appendingPathComponent("samples/products/grinder")
        try Data("product_id,product_1\np1,\(grinder.path)/product.png\np2,\(grinder.path)/logo.png\np3,\n".utf8).write(to: csv)
        let ws = ["--workspace", dir.appendingPathComponent("ws").path]
        #expect(try await sceneflow(["assets", "add", "--product", "p3", "product_1", "samples/products/grinder/coin.png"] + ws).status == 0)
        let first = try await sceneflow(["batch", "samples/unboxing.json", "--products", csv.path, "--simulate", "1000", "--out", dir.appendingPathComponent("b1").path] + ws)
        #expect(first.status == 0, "\(first.stderr)")
        for id in ["p1", "p2", "p3"] {
            #expect(first.stdout.contains("\(id)  ") && FileManager.default.fileExists(atPath: dir.appendingPathComponent("b1/\(id)/run.json").path))
        }
        let second = try await sceneflow(["batch", "samples/unboxing.json", "--products", csv.path, "--simulate", "1000", "--out", dir.appendingPathComponent("b2").path] + ws)
        #expect(second.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("b2/p3/run.json"))) as? [String: Any]
        let nodes = report?["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.filter { $0["model"] != nil }.allSatisfy { $0["status"] as? String == "cached" })
    }
}
