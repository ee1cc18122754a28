import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// Typed jobs from the graph, for every frame source, and their cache keys.
@Suite(.timeLimit(.minutes(2))) struct JobBuilderTests {
    let graph = CheckedTemplate(parse(PromptBuilderTests.template))!.graph

    /// Every node "made" a distinct fake file, so jobs can be built in any order.
    func files(_ i: Int) -> [FileRef] {
        [FileRef(url: URL(fileURLWithPath: "/f/\(graph.nodes[i].id)"), sha256: Digest.sha256(graph.nodes[i].id))]
    }

    func job(_ id: String, offline: Bool = false, take: Int = 1, files: ((Int) -> [FileRef])? = nil) throws -> Job {
        try JobBuilder(graph: graph, offline: offline).job(for: graph.indexByID[id]!, files: files ?? self.files, take: take, scratch: URL(fileURLWithPath: "/s"))
    }

    @Test func aGeneratedFirstFrameReadsItsAvatarAndProductInOrder() throws {
        let job = try job("hook.first_frame")
        guard case .frame(let frame) = job.work else { Issue.record("a frame job"); return }
        #expect(frame.kind == .firstFrame && frame.images.map(\.node) == ["avatar:maya", "asset:product_1"])
        #expect(frame.images.map(\.role) == [.avatar, .productImage])
        #expect(job.model.id == "fal-ai/kling-image/o1" && frame.caption == "Maya lifts the grinder")
    }

    @Test func aLastFrameReadsItsFirstFrame() throws {
        guard case .frame(let frame) = try job("hook.last_frame").work else { Issue.record("a frame job"); return }
        #expect(frame.images.first?.node == "hook.first_frame" && frame.images.first?.role == .firstFrame)
        #expect(frame.caption.hasPrefix("END · Maya sets it down"))
    }

    @Test func aCameraAngleReadsTheFrameItReshoots() throws {
        guard case .frame(let frame) = try job("side.first_frame").work else { Issue.record("a frame job"); return }
        #expect(frame.kind == .cameraAngle && frame.camera == "close-up, from the left")
        #expect(frame.images.map(\.node) == ["hook.first_frame"] && frame.images[0].role == .cameraAngle)
    }

    @Test func reusedFramesAreNoJobs() {
        #expect(throws: JobBuilder.Failure.self) { try job("pour.first_frame") }
        #expect(throws: JobBuilder.Failure.self) { try job("again.first_frame") }
        #expect(graph.source(ofReuse: graph.indexByID["pour.first_frame"]!) == graph.indexByID["hook.last_frame"])
        #expect(graph.source(ofReuse: graph.indexByID["again.first_frame"]!) == graph.indexByID["hook.first_frame"])
    }

    @Test func aClipReadsItsFramesAndVoiceOver() throws {
        guard case .clip(let clip) = try job("hook.video").work else { Issue.record("a clip job"); return }
        #expect(clip.first.node == "hook.first_frame" && clip.last?.node == "hook.last_frame" && clip.voiceOver?.node == "hook.audio")
        #expect(clip.seconds == 5)
        guard case .clip(let silent) = try job("pour.video").work else { Issue.record("a clip job"); return }
        #expect(silent.voiceOver == nil && silent.first.node == "pour.first_frame")
    }

    @Test func speechAndTheCut() throws {
        guard case .speech(let speech) = try job("hook.audio").work else { Issue.record("a speech job"); return }
        #expect(speech.text == "Okay, I was not expecting this." && speech.seconds == 5)
        guard case .cut(let cut) = try job("final.video").work else { Issue.record("a cut job"); return }
        #expect(cut.clips.map(\.node) == ["hook.video", "pour.video", "again.video", "side.video"], "in playback order")
    }

    @Test func cacheKeysChangeWithWhatShapesTheOutputAndNothingElse() throws {
        let base = CacheKey(try job("hook.first_frame"))
        #expect(base == CacheKey(try job("hook.first_frame")), "the same job, the same key")
        #expect(base != CacheKey(try job("hook.first_frame", take: 2)), "a new take is a new output")
        #expect(base != CacheKey(try job("hook.first_frame", offline: true)), "another model")
        let changedJob = try job("hook.first_frame") { i in
            [FileRef(url: URL(fileURLWithPath: "/other"), sha256: self.graph.nodes[i].id == "asset:product_1" ? Digest.sha256("new") : Digest.sha256(self.graph.nodes[i].id))]
        }
        #expect(base != CacheKey(changedJob))
        let previous = CacheKey.components(of: try job("hook.first_frame"))
        #expect(CacheKey.changes(from: previous, to: CacheKey.components(of: changedJob)) == ["input asset:product_1 changed"])
        // Where a file lives is not part of what it is: only its digest.
        let moved = CacheKey(try job("hook.first_frame") { i in [FileRef(url: URL(fileURLWithPath: "/elsewhere/\(i)"), sha256: Digest.sha256(self.graph.nodes[i].id))] })
        #expect(base == moved)
    }

    @Test func aPromptCannotForgeAnotherJobsKey() throws {
        // Components are length-prefixed: text that looks like a component does not collide.
        var a = try job("hook.first_frame"), b = a
        guard case .frame(var frame) = a.work else { return }
        frame.prompt = "x\nkind=first_frame"
        a.work = .frame(frame)
        frame.prompt = "x"
        frame.camera = "kind=first_frame"
        b.work = .frame(frame)
        #expect(CacheKey(a) != CacheKey(b))
    }
}
