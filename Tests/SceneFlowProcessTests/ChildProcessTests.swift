import Foundation
import SceneFlowProcess
import SceneFlowTestTags

/// The one way SceneFlow starts programs: output read as it comes, caps, exit statuses,
/// cancellation that stops the child, no orphans.
@Suite(.timeLimit(.minutes(2)), .tags(.endToEnd)) struct ChildProcessTests {
    let sh = Command.find("sh")!

    func run(_ script: String, stdout: Command.Output = .capture, stderr: Command.Output = .capture(limit: 1 << 20, keep: .head)) async throws -> ChildOutcome {
        try await ChildProcess.run(Command(sh, arguments: ["-c", script], stdout: stdout, stderr: stderr))
    }

    @Test func bothStreamsAreReadAsTheyComeSoNeitherCanBlock() async throws {
        // 1 MiB on standard error before anything on standard output: a reader of one stream at a
        // time would deadlock on the full stderr pipe.
        let outcome = try await run("head -c 1048576 /dev/zero >&2; echo done")
        #expect(outcome.succeeded)
        #expect(outcome.stderr.count == 1 << 20)
        #expect(String(decoding: outcome.stdout, as: UTF8.self) == "done\n")
    }

    @Test func capturesAreCappedKeepingTheHeadOrTheTail() async throws {
        let outcome = try await run("seq 1 100000; seq 1 100000 >&2",
                                    stdout: .capture(limit: 10, keep: .head), stderr: .capture(limit: 13, keep: .tail))
        #expect(String(decoding: outcome.stdout, as: UTF8.self) == "1\n2\n3\n4\n5\n")
        #expect(String(decoding: outcome.stderr, as: UTF8.self) == "99999\n100000\n")
        #expect(outcome.stdoutTruncated && outcome.stderrTruncated)
    }

    @Test func exitStatusesAndSignalsAreReported() async throws {
        #expect(try await run("exit 3").termination == .exited(3))
        #expect(try await run("kill -9 $$").termination == .signalled(SIGKILL))
        #expect(try await run("kill -9 $$").termination.status == 137)
    }

    @Test func argumentsAreAListNeverAShell() async throws {
        let echo = try #require(Command.find("printf"))
        let outcome = try await ChildProcess.run(Command(echo, arguments: ["%s|", "a b", "$(touch /tmp/x)", "; rm -rf /"]))
        #expect(String(decoding: outcome.stdout, as: UTF8.self) == "a b|$(touch /tmp/x)|; rm -rf /|")
    }

    @Test func aMissingProgramIsASpawnError() async {
        await #expect(throws: SpawnError.self) {
            try await ChildProcess.run(Command(URL(fileURLWithPath: "/nonexistent/tool")))
        }
    }

    @Test func theEnvironmentAndWorkingDirectoryAreTheCommandsOwn() async throws {
        let outcome = try await ChildProcess.run(Command(sh, arguments: ["-c", "echo $ONLY; pwd"], environment: ["ONLY": "this"],
                                                         workingDirectory: URL(fileURLWithPath: "/tmp")))
        #expect(String(decoding: outcome.stdout, as: UTF8.self) == "this\n/tmp\n")
    }

    @Test func stdinIsEmptyAndNoDescriptorLeaks() async throws {
        let outcome = try await run("cat; ls /proc/self/fd | wc -l")
        // 0, 1, 2 and the one `ls` opens to list the folder.
        #expect(String(decoding: outcome.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "4")
    }

    @Test func cancellingTheTaskStopsTheChild() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        let task = Task { try await run("echo $$ > \(marker.path); exec sleep 60") }
        var pid: pid_t?
        for _ in 0..<2000 where pid == nil {
            try await Task.sleep(for: .milliseconds(5))
            pid = (try? String(contentsOf: marker, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let child = try #require(pid)
        let started = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(kill(child, 0) == -1, "the child is gone")
        try? FileManager.default.removeItem(at: marker)
    }

    @Test func aChildIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let child = try ChildProcess.launch(Command(sh, arguments: ["-c", "trap '' TERM; echo ready; sleep 60 & wait"],
                                                    stdout: .discard, gracePeriod: .milliseconds(300)))
        try await Task.sleep(for: .milliseconds(200))
        child.terminate()
        let outcome = await child.exit()
        #expect(outcome.termination == .signalled(SIGKILL))
        #expect(!child.isRunning)
    }

    @Test func manyAtOnceAllFinishWithTheirOwnOutput() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for n in 0..<64 {
                group.addTask { (n, String(decoding: try await run("echo \(n)").stdout, as: UTF8.self)) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 64)
        #expect(results.allSatisfy { $0.value == "\($0.key)\n" })
    }

    @Test func everyWaiterGetsTheSameOutcome() async throws {
        let child = try ChildProcess.launch(Command(sh, arguments: ["-c", "echo once"]))
        async let a = child.exit()
        async let b = child.exit()
        let (x, y) = await (a, b)
        #expect(x.stdout == y.stdout && x.termination == .exited(0))
        #expect(child.outcome?.stdout == x.stdout)
    }
}
