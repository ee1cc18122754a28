import Foundation
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// Real `sceneflow` processes on one workspace at once (runs into shared and own folders, real
/// and rehearsed; batches; assets added and removed for products sharing files), in
/// interleavings from a fixed seed, with the invariants checked after every round
/// (`WorkspaceSoak`): digests match files, history matches reports, no folder holds another
/// run's files, no asset row without its file, no process ends but in success or a documented
/// refusal. Bounded for CI; `sceneflow-bench soak ROUNDS` runs it longer.
@Suite(.timeLimit(.minutes(10)), .serialized, .tags(.endToEnd, .ffmpeg)) struct ConcurrencyInvariantTests {
    @Test(arguments: [2212, 2313]) func concurrentCommandsOnOneWorkspaceKeepEveryInvariant(seed: UInt64) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let soak = WorkspaceSoak(folder: dir)
        var random = WorkspaceSoak.Seeded(seed: seed)
        for index in 0..<6 {
            let (operations, violations) = try await soak.round(index, width: 4, random: &random)
            #expect(violations.isEmpty, "seed \(seed), round \(index) (\(operations.joined(separator: " | "))): \(violations.joined(separator: "\n"))")
        }
    }
}
