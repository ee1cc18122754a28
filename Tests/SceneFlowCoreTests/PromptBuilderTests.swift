import Foundation
import Testing
@testable import SceneFlowCore

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

    let t: Template = parse(Self.template).template!

    func scene(_ id: String) -> Scene { t.scenes.first { $0.id?.value == id }! }

    @Test func aFirstFrameNamesItsImagesInOrderAndKeepsThemAsGiven() {
        let s = scene("hook")
        let prompt = PromptBuilder.prompt(for: .firstFrame, operation: .generate, scene: s, frameSpec: s.firstFrameSpec,
                                          inputs: [.avatar, .productImage], aspectRatio: .portrait)
        #expect(prompt.contains("9:16 frame"))
        #expect(prompt.contains("Maya lifts the grinder."))
        #expect(prompt.contains("@Image1 is the person; @Image2 is the product"))
        #expect(!prompt.contains("not expecting"), "a frame prompt carries no dialogue")
    }

    @Test func aLastFrameDescribesTheEndStateFromTheFirstFrame() {
        let s = scene("hook")
        let prompt = PromptBuilder.prompt(for: .lastFrame, operation: .generate, scene: s, frameSpec: s.lastFrame,
                                          inputs: [.firstFrame, .productImage], aspectRatio: .portrait)
        #expect(prompt.hasPrefix("The closing frame of the same shot as @Image1: Maya sets it down."))
        #expect(prompt.contains("@Image2 is the product"))
    }

    @Test func aLastFrameWithoutItsOwnPromptFallsBackToTheScenePrompt() {
        var s = scene("hook")
        s.lastFrame?.prompt = nil
        let prompt = PromptBuilder.prompt(for: .lastFrame, operation: .generate, scene: s, frameSpec: s.lastFrame,
                                          inputs: [.firstFrame], aspectRatio: .portrait)
        #expect(prompt.contains("@Image1: Maya lifts the grinder."))
        #expect(!prompt.contains("@Image2"))
    }

    @Test func aCameraAngleNamesTheCamera() {
        let s = scene("side")
        let prompt = PromptBuilder.prompt(for: .cameraAngle, operation: .cameraAngle, scene: s, frameSpec: s.firstFrameSpec,
                                          inputs: [.cameraAngle], aspectRatio: .portrait)
        #expect(prompt.contains("seen from a different camera: close-up, from the left."))
    }

    @Test func dialogueReachesAVideoPromptOnlyWhenTheSceneSpeaks() {
        let speaking = PromptBuilder.prompt(for: .video, operation: .clip, scene: scene("hook"), frameSpec: nil, inputs: [], aspectRatio: .portrait)
        #expect(speaking.contains("saying: \"Okay, I was not expecting this.\""))
        let silent = PromptBuilder.prompt(for: .video, operation: .clip, scene: scene("pour"), frameSpec: nil, inputs: [], aspectRatio: .portrait)
        #expect(silent == "Beans pour in. Natural handheld UGC style.")
        #expect(!silent.contains("Never said aloud"))
    }

    @Test func speechIsTheDialogueAndTheCutHasNoPrompt() {
        #expect(PromptBuilder.prompt(for: .audio, operation: .speech, scene: scene("side"), frameSpec: nil, inputs: [], aspectRatio: .portrait) == "Link below.")
        #expect(PromptBuilder.prompt(for: .combine, operation: .combine, scene: nil, frameSpec: nil, inputs: [.clip], aspectRatio: .portrait).isEmpty)
    }

    @Test func everyImageRoleHasAPlainDescription() {
        for role in [SceneGraph.EdgeType.avatar, .background, .productImage, .logo, .referenceImage, .firstFrame, .lastFrame] {
            #expect(!PromptBuilder.describe(role).contains("_"), "\(role) reads as an identifier")
        }
        #expect(PromptBuilder.describe(.referenceImage).contains("size reference"))
    }

    @Test func sentencesAreJoinedWithOnePunctuationEach() {
        #expect(PromptBuilder.sentence(["  a  ", "", "b!", "c?", "d."]) == "a. b! c? d.")
    }
}
