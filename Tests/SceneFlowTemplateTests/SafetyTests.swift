import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// The rules that keep hostile or unlucky input harmless: ids, numbers, paths, money.
@Suite(.timeLimit(.minutes(2))) struct IDRuleTests {
    @Test(arguments: ["..", "../escape", "a/b", "a\\b", "a\0b", String(repeating: "a", count: 65), "Grinder X9",
                      "gr\u{0456}nder", "%2e%2e", "-lead", "_lead", "", "a.b", "a b", "ÄB", "a:b"])
    func hostileIDsBreakTheRule(_ id: String) {
        #expect(Slug.problem(id) != nil, "\(Slug.shown(id)) must not pass")
    }

    @Test func ordinaryIDsPassAndLongOnesAreNamed() {
        for id in ["grinder-x1", "p0", "hook_2", String(repeating: "a", count: 64)] { #expect(Slug.isValid(id)) }
        #expect(Slug.problem(String(repeating: "a", count: 300))?.contains("at most 64") == true)
        #expect(Slug.shown("a\u{1B}[31mred") == "a\\u{1b}[31mred", "control characters are shown, not obeyed")
        #expect(Slug.suggest("Grinder X9") == "grinder-x9")
    }

    @Test func longSceneIDsAreAValidationErrorNotAFileNameError() {
        let id = String(repeating: "s", count: 250)
        let diagnostics = parse(#"{"schema_version": 1, "id": "t", "scenes": [{"id": "\#(id)", "speaking": false}]}"#).validate()
        #expect(diagnostics.map(\.code) == [.invalidID])
        #expect(diagnostics.first?.message.contains("at most 64") == true)
    }
}

@Suite(.timeLimit(.minutes(2))) struct NumberRangeTests {
    @Test(arguments: ["9223372036854775807", "9223372036854775808", "1e300", "-1", "1.5", "0"])
    func schemaVersionsOutOfRangeAreDiagnosedNeverTrapped(_ value: String) {
        let diagnostics = parse(#"{"schema_version": \#(value), "id": "t", "scenes": [{"id": "s"}]}"#).validate()
        #expect(!diagnostics.isEmpty)
        #expect(diagnostics.allSatisfy { [.unsupportedSchemaVersion, .invalidType].contains($0.code) }, "\(diagnostics.map(\.code))")
    }

    @Test func durationsAndBoundsAreRangeChecked() {
        let huge = parse(#"{"schema_version": 1, "id": "t", "scenes": [{"id": "s", "speaking": false, "duration_s": 1e308}]}"#).validate()
        #expect(huge.contains { $0.code == .invalidValue && $0.message.contains("at most 3600") })
        let bounds = parse(#"{"schema_version": 1, "id": "t", "dependencies": [{"type": "logo", "asset_key": "l", "min": 0, "max": 99999999999999999999}], "scenes": [{"id": "s", "speaking": false}]}"#).validate()
        #expect(bounds.contains { $0.code == .invalidValue && $0.message.contains("too large a number for a count") },
                "an integer beyond range is said to be too large, not 'not an integer': \(bounds.map(\.message))")
    }

    @Test func aSchemaReferenceIsAllowed() {
        let diagnostics = parse(#"{"$schema": "https://example.com/template-v1.schema.json", "schema_version": 1, "id": "t", "scenes": [{"id": "s", "speaking": false}]}"#).validate()
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.textLine))")
    }
}

@Suite(.timeLimit(.minutes(2))) struct ContainmentTests {
    @Test func pathsAreJudgedWithSymlinksResolved() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("contain-\(UUID().uuidString)")
        let workspace = root.appendingPathComponent("ws"), outside = root.appendingPathComponent("victim")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(at: workspace.appendingPathComponent("link"), withDestinationURL: outside)
        #expect(Workspace.isInside(workspace.appendingPathComponent("runs/a"), root: workspace))
        #expect(!Workspace.isInside(workspace.appendingPathComponent("../victim"), root: workspace))
        #expect(!Workspace.isInside(workspace.appendingPathComponent("link/file"), root: workspace), "a symlink out is outside")
        #expect(!Workspace.isInside(root.appendingPathComponent("ws-other"), root: workspace), "a sibling with the same prefix is outside")
        try Data("keep".utf8).write(to: outside.appendingPathComponent("important.txt"))
        #expect(!Workspace(root: workspace).remove(workspace.appendingPathComponent("link")) || FileManager.default.fileExists(atPath: outside.appendingPathComponent("important.txt").path))
        #expect(!Workspace(root: workspace).remove(workspace.appendingPathComponent("../victim")))
        #expect(FileManager.default.fileExists(atPath: outside.appendingPathComponent("important.txt").path))
    }

    @Test func scratchFoldersOfDeadRunsAreRemovedAndLiveOnesKept() throws {
        let workspace = Workspace(root: FileManager.default.temporaryDirectory.appendingPathComponent("scratch-\(UUID().uuidString)"))
        try workspace.create()
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        try workspace.claimScratch(runID: "live")
        let dead = workspace.scratchDirectory.appendingPathComponent("dead")
        try FileManager.default.createDirectory(at: dead, withIntermediateDirectories: true)
        try Data("999999 1".utf8).write(to: dead.appendingPathComponent(".owner"))
        // Unowned: an upload in progress or a claim being made is young and left alone; an old one is abandoned.
        let upload = workspace.scratchDirectory.appendingPathComponent("upload-1")
        let claim = workspace.scratchDirectory.appendingPathComponent(".claim-1")
        let orphan = workspace.scratchDirectory.appendingPathComponent("orphan")
        for folder in [upload, claim, orphan] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-2 * Workspace.unownedScratchAge)], ofItemAtPath: orphan.path)
        #expect(workspace.removeStaleScratch().sorted() == ["dead", "orphan"])
        for kept in ["live", "upload-1", ".claim-1"] {
            #expect(FileManager.default.fileExists(atPath: workspace.scratchDirectory.appendingPathComponent(kept).path), "\(kept) is kept")
        }
    }

    /// Claims racing a sweep (another process starting a run): a folder never exists without its
    /// owner, so no claim loses its folder (this race once failed a run with "cannot write .owner").
    @Test func claimsRacingASweepAllHoldTheirFolders() async throws {
        let workspace = Workspace(root: FileManager.default.temporaryDirectory.appendingPathComponent("scratch-\(UUID().uuidString)"))
        try workspace.create()
        defer { try? FileManager.default.removeItem(at: workspace.root) }
        let ids = (0..<200).map { "run-\($0)" }
        let failures = await withTaskGroup(of: String?.self) { group in
            group.addTask { for _ in 0..<400 { workspace.removeStaleScratch() }; return nil }
            for id in ids {
                group.addTask {
                    do { try workspace.claimScratch(runID: id); return nil } catch { return "\(id): \(error)" }
                }
            }
            var failed: [String] = []
            for await failure in group { if let failure { failed.append(failure) } }
            return failed
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        for id in ids {
            #expect(FileManager.default.fileExists(atPath: workspace.scratchDirectory.appendingPathComponent("\(id)/.owner").path), "\(id) holds its folder")
        }
    }

    @Test func runFolderNamesArePlain() {
        for name in ["run.json", "hook.first_frame.png", "final.mp4"] { #expect(RunFolder.isPlainName(name)) }
        for name in ["../run.json", "/etc/passwd", ".hidden", "", "a/b", String(repeating: "x", count: 256)] { #expect(!RunFolder.isPlainName(name)) }
    }

    @Test func runIDsKeepTheirLeadingZeros() {
        let ids = (0..<200).map { _ in Workspace.newRunID() }
        #expect(ids.allSatisfy { $0.count == "20261126-071939-0a6d278a".count && $0.split(separator: "-").last?.count == 8 })
    }
}

@Suite(.timeLimit(.minutes(2))) struct MoneyTests {
    @Test func sumsDoNotDriftAndShowToTheCent() {
        let total = Array(repeating: Money(dollars: 0.007), count: 576_858).sum()
        #expect(total.decimalText == "4038.006")
        #expect(total.description == "$4038.01")
        #expect(Money(dollars: 0.0042).description == "$0.0042" && Money.zero.description == "$0.00")
    }

    @Test func budgetsParseOnlyAmounts() {
        #expect(Money(parsing: "12.50") == Money(dollars: 12.5))
        #expect(Money(parsing: "$5") == Money(dollars: 5))
        for bad in ["-1", "abc", "", "1e3", "1.2.3", "nan", "5 USD"] { #expect(Money(parsing: bad) == nil, "\(bad)") }
    }
}

@Suite(.timeLimit(.minutes(2))) struct RunEventTests {
    @Test func everyEventIsOneLineOfJSONWithItsName() throws {
        let events: [RunEvent] = [
            .runStarted(.init(runID: "r", template: "t", productID: nil, jobs: 3, simulated: true, offline: false, folder: "/tmp/r")),
            .started(node: "a", attempt: 1, provider: .fal), .retrying(node: "a", attempt: 2, delay: 1.25, error: "fal: HTTP 503:\nbusy"),
            .finished(node: "a", status: .cached, seconds: 0, output: "a.png"), .failed(node: "b", error: "x", attempts: 2),
            .blocked(node: "c", by: "b"), .skipped(node: "d", reason: "cancelled"),
            .runFinished(.init(runID: "r", status: .partial, counts: .init(), cost: Money(dollars: 0.1234), costEstimated: true,
                               stopReason: nil, folder: nil, report: nil, finalVideo: nil, diagram: nil)),
        ]
        for event in events {
            let line = event.jsonLine(runID: "r")
            #expect(!line.contains("\n"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["event"] as? String == event.name && object["run_id"] as? String == "r")
        }
        #expect(events.last!.jsonLine(runID: "r").contains("\"cost\":0.1234"))
    }
}
