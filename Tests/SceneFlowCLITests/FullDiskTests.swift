import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// A workspace on a disk that fills up mid-run (a 2 MB tmpfs; root only, skipped otherwise):
/// the run fails saying why, every cache object left behind is whole, and the earlier run's
/// files are untouched.
@Suite(.timeLimit(.minutes(5)), .tags(.endToEnd, .ffmpeg), .serialized) struct FullDiskTests {
    @Test func aFullDiskFailsTheRunAndLosesNothing() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = dir.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        guard getuid() == 0, try await run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", disk.path]).status == 0 else {
            print("skipped: mounting a small tmpfs needs root")
            return
        }
        let outcome = await Result(catching: { try await fillUp(disk) })
        _ = try? await run("umount", ["-l", disk.path])
        try outcome.get()
    }

    func fillUp(_ disk: URL) async throws {
        let ws = ["--workspace", disk.appendingPathComponent("ws").path]
        let first = disk.appendingPathComponent("first")
        let rehearsal = try await sceneflow(["run", "samples/unboxing.json", "--inputs", "samples/unboxing.inputs.json", "--simulate", "1000",
                                             "--out", first.path] + ws)
        #expect(rehearsal.status == 0, "\(rehearsal.stderr)")
        let before = try snapshot(first)

        let full = try await sceneflow(["run", "samples/testimonial.yaml", "--inputs", "samples/testimonial.inputs.json", "--offline",
                                        "--resolution", "480", "--out", disk.appendingPathComponent("second").path] + ws)
        #expect(full.status == 1, "\(full.stderr)")
        let said = full.stderr + ((try? String(contentsOf: disk.appendingPathComponent("second/run.json"), encoding: .utf8)) ?? "")
        #expect(said.contains("No space left on device"), "\(full.stderr)")
        // Every failure says what ran out, and no message carries an SQL statement.
        for line in full.stderr.split(separator: "\n") where line.hasPrefix("FAILED") {
            #expect(line.contains("No space left on device"), "\(line)")
        }
        #expect(!full.stderr.contains("INSERT INTO"), "\(full.stderr)")
        #expect(try snapshot(first) == before, "the earlier run's files are untouched")

        // Every object in the cache is whole: its size and digest are what its metadata says.
        let cache = disk.appendingPathComponent("ws/cache/objects")
        for name in FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? [] where name.hasSuffix(".json") {
            let meta = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: cache.appendingPathComponent(name))) as? [String: Any], "\(name) is whole JSON")
            let ext = try #require(meta["file_extension"] as? String ?? meta["extension"] as? String)
            let object = cache.appendingPathComponent(name).deletingPathExtension().appendingPathExtension(ext)
            let digest = try await run("sha256sum", [object.path]).stdout.prefix(64)
            #expect(String(digest) == meta["sha256"] as? String, "\(object.lastPathComponent) is whole")
        }
        let leftovers = (FileManager.default.enumerator(atPath: disk.path)?.allObjects as? [String] ?? []).filter { $0.contains(".tmp") || $0.hasSuffix("~") }
        #expect(leftovers.isEmpty, "no temporary files left: \(leftovers)")
        let history = try await sceneflow(["runs", "list"] + ws)
        #expect(history.status == 0, "the history is still readable: \(history.stderr)")
    }

    func snapshot(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return files
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
