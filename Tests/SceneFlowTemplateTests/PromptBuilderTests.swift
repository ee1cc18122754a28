import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// Prompts as the models receive them, for every frame source and job kind.
@Suite(.timeLimit(.minutes(2))) struct PromptBuilderTests {
    static let template = """
    {"schema_version": 1, "id": "t",
     "avatars": [{"id": "maya", "image": "https://example.com/maya.png"}],
     "dependencies": [{"type": "product_image", "asset_key": "product_1", "min": 1, "max": 1}],
     "scenes": [
       {"id": "hook", "avatar": "maya", "dependencies": ["product_1"], "prompt": "Maya lifts the grinder",
        "dialogue": "Okay, I was not expecting this.",
        "last_frame": {"source": "generate", "prompt": "Maya sets it down"}},
       {"id": "pour", "speaking": false, "dialogue": "Never said aloud", "prompt": "Beans pour in", "duration_s": 5,
        "first_frame": {"source": "last_frame_of", "scene": "hook"}},
       {"id": "again", "prompt": "Reuse", "first_frame": {"source": "first_frame_of", "scene": "hook"}},
       {"id": "side", "prompt": "Side view", "dialogue": "Link below.",
        "first_frame": {"source": "camera_angle", "scene": "hook", "camera": "close-up, from the left"}}
     ]}
    """

    let graph = CheckedTemplate(parse(Self.template))!.graph

    func prompt(_ id: String, images: [EdgeType] = []) -> String {
        let i = graph.indexByID[id]!
        return PromptBuilder.prompt(for: graph.nodes[i], scene: graph.scene(of: i), images: images, aspectRatio: graph.aspectRatio)
    }

    @Test func aFirstFrameNamesItsImagesInOrderAndKeepsThemAsGiven() {
        let p = prompt("hook.first_frame", images: [.avatar, .productImage])
        #expect(p.contains("9:16 frame"))
        #expect(p.contains("Maya lifts the grinder."))
        #expect(p.contains("@Image1 is the person; @Image2 is the product"))
        #expect(!p.contains("not expecting"), "a frame prompt carries no dialogue")
    }

    @Test func aLastFrameDescribesTheEndStateFromTheFirstFrame() {
        let p = prompt("hook.last_frame", images: [.firstFrame, .productImage])
        #expect(p.hasPrefix("The closing frame of the same shot as @Image1: Maya sets it down."))
        #expect(p.contains("@Image2 is the product"))
    }

    @Test func aLastFrameWithoutItsOwnPromptFallsBackToTheScenePrompt() {
        var node = graph["hook.last_frame"]!
        node.framePrompt = nil
        let p = PromptBuilder.prompt(for: node, scene: graph.scenes[0], images: [.firstFrame], aspectRatio: .portrait)
        #expect(p.contains("@Image1: Maya lifts the grinder."))
        #expect(!p.contains("@Image2"))
    }

    @Test func aCameraAngleNamesTheCamera() {
        #expect(prompt("side.first_frame", images: [.cameraAngle]).contains("seen from a different camera: close-up, from the left."))
    }

    @Test func reusedFramesAndInputsHaveNoPrompt() {
        #expect(prompt("pour.first_frame").isEmpty && prompt("again.first_frame").isEmpty && prompt("avatar:maya").isEmpty)
    }

    @Test func dialogueReachesAVideoPromptOnlyWhenTheSceneSpeaks() {
        #expect(prompt("hook.video").contains("saying: \"Okay, I was not expecting this.\""))
        let silent = prompt("pour.video")
        #expect(silent == "Beans pour in. Natural handheld UGC style.")
        #expect(!silent.contains("Never said aloud"))
        #expect(graph["pour.audio"] == nil, "a silent scene has no voice-over")
    }

    @Test func speechIsTheDialogueAndTheCutHasNoPrompt() {
        #expect(prompt("side.audio") == "Link below.")
        #expect(prompt("final.video", images: [.clip]).isEmpty)
    }

    @Test func everyImageRoleHasAPlainDescription() {
        for role in [EdgeType.avatar, .background, .productImage, .logo, .referenceImage, .firstFrame, .lastFrame] {
            #expect(!PromptBuilder.describe(role).contains("_"), "\(role) reads as an identifier")
        }
        #expect(PromptBuilder.describe(.referenceImage).contains("size reference"))
    }

    @Test func sentencesAreJoinedWithOnePunctuationEach() {
        #expect(PromptBuilder.sentence(["  a  ", "", "b!", "c?", "d."]) == "a. b! c? d.")
    }
}
