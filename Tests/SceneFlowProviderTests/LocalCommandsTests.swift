import Foundation
import SceneFlowBasics
@testable import SceneFlowProviders
import SceneFlowRun
import SceneFlowTemplate
import Testing

/// The local engine's command lines, checked as values: no user text in a filter graph, no name
/// read as a pattern or a protocol, exact lengths and frame sizes.
@Suite(.timeLimit(.minutes(2))) struct LocalCommandsTests {
    let commands = LocalCommands(width: 720, height: 1280)
    let hostile = "/ws/it's: 100%\\ [odd]/a%d.png"

    func filterGraph(_ arguments: [String]) -> String {
        guard let i = arguments.firstIndex(where: { $0 == "-filter_complex" || $0 == "-vf" || $0 == "-af" }) else { return "" }
        return arguments[i + 1]
    }

    @Test func userPathsNeverEnterAFilterGraphAndAreReadLiterally() {
        let image = ImageFile(path: hostile, type: .png)
        let all = [
            commands.firstFrame(background: image, avatar: image, products: [image, image], references: [image], logos: [image], output: "frame.png"),
            commands.lastFrame(first: image, output: "frame.png"),
            commands.cameraAngle(source: image, camera: "wide, from the right", output: "frame.png"),
            commands.clip(first: image, last: image, voice: hostile, seconds: 5, output: "clip.mp4"),
            commands.conform(clip: hostile, voice: nil, ownSound: true, seconds: 4, output: "clip.mp4"),
        ]
        for arguments in all {
            #expect(!filterGraph(arguments).contains(hostile), "a user path inside a filter graph")
            #expect(!filterGraph(arguments).contains("'"), "no quoting is needed: no user text is in the graph")
            for (i, argument) in arguments.enumerated() where argument == "-i" {
                let next = arguments[i + 1]
                #expect(next.hasPrefix("file:") || arguments[i - 1] == "lavfi" || next.hasPrefix("color=") || next.hasPrefix("anullsrc"),
                        "input \(next) read through the file: protocol")
            }
            // Every image input has the sequence pattern turned off.
            let images = arguments.indices.filter { arguments[$0] == "image2" }
            for i in images { #expect(Array(arguments[(i + 1)...].prefix(2)) == ["-pattern_type", "none"]) }
        }
    }

    @Test func theDecoderFollowsTheContentNotTheName() {
        #expect(LocalCommands.input(ImageFile(path: "x.png", type: .jpeg)).contains("mjpeg"))
        #expect(LocalCommands.input(ImageFile(path: "x", type: .webp)).contains("webp"))
        let looped = LocalCommands.input(ImageFile(path: "x.png", type: .png), loopSeconds: "5.000")
        #expect(looped.suffix(2) == ["-i", "file:x.png"])
        #expect(looped.contains("-loop") && looped.contains("5.000"))
    }

    @Test func captionsComeFromAFileWithExpansionOff() {
        let text = LocalCommands.drawText(size: 30, y: "h*0.03")
        #expect(text.hasPrefix("drawtext=textfile=caption.txt:expansion=none:"))
    }

    @Test func framesAreWrittenAsOneFileOfThatName() {
        let arguments = commands.lastFrame(first: ImageFile(path: "/a.png", type: .png), output: "frame.png")
        #expect(arguments.suffix(1) == ["frame.png"])
        #expect(arguments.contains("-update") && arguments.contains("-frames:v"))
        #expect(arguments.prefix(2) == ["-nostdin", "-hide_banner"])
    }

    @Test func aFirstFrameStacksOneLayerPerImage() {
        let image = ImageFile(path: "/p.png", type: .png)
        let arguments = commands.firstFrame(background: nil, avatar: image, products: [image, image], references: [], logos: [image], output: "f.png")
        let graph = filterGraph(arguments)
        #expect(graph.components(separatedBy: "overlay=").count - 1 == 4)
        #expect(graph.hasPrefix("[0:v]format=rgba[base]") && arguments.contains("color=c=0xD9CBB8:s=720x1280"), "no background: a plain backdrop")
        #expect(graph.hasSuffix("[out]"))
    }

    @Test func clipsAreExactlyTheirLengthWithSoundOrSilence() {
        let first = ImageFile(path: "/f.png", type: .png)
        let voiced = commands.clip(first: first, last: nil, voice: "/v.wav", seconds: 5, output: "clip.mp4")
        #expect(voiced.contains("file:/v.wav"))
        #expect(voiced.firstIndex(of: "-t").map { voiced[$0 + 1] } == "5.000")
        let silent = commands.clip(first: first, last: first, voice: nil, seconds: 10, output: "clip.mp4")
        #expect(silent.contains("anullsrc=r=44100:cl=stereo"))
        #expect(filterGraph(silent).contains("xfade=transition=fade:duration=5.000:offset=2.500"))
        let conformed = commands.conform(clip: "/c.mp4", voice: nil, ownSound: true, seconds: 4, output: "clip.mp4")
        #expect(filterGraph(conformed).contains("[0:a]apad"), "a provider clip keeps its own sound when there is no voice-over")
        #expect(filterGraph(conformed).contains("tpad=stop_mode=clone:stop_duration=4.000"))
    }

    @Test func theConcatListEscapesQuotesAndNamesTheProtocol() {
        #expect(LocalCommands.concatList(["/a/it's.mp4", "/b:c.mp4"]) == "file 'file:/a/it'\\''s.mp4'\nfile 'file:/b:c.mp4'\n")
        #expect(LocalCommands.combine(list: "/l.txt", output: "final.mp4").contains("file:/l.txt"))
    }

    @Test func speechReadsItsTextFromAFile() {
        let arguments = LocalCommands.espeak(voice: "rachel", textFile: "dialogue.txt", output: "raw.wav")
        #expect(arguments.suffix(2) == ["-f", "dialogue.txt"])
        #expect(LocalCommands.voices.contains(arguments[1]))
        #expect(LocalCommands.espeakVoice(for: "") == "en-us")
        #expect(LocalCommands.espeakVoice(for: "rachel") == LocalCommands.espeakVoice(for: "rachel"))
    }

    @Test func camerasReframeAsDescribed() {
        #expect(LocalCommands.Reframe(camera: "extreme close-up").zoom == 2.0)
        #expect(LocalCommands.Reframe(camera: "wide shot from the left").zoom < 1)
        #expect(LocalCommands.Reframe(camera: "wide shot from the left").x < 0.5)
        #expect(LocalCommands.Reframe(camera: "low angle").y > 0.5)
        let wide = filterGraph(commands.cameraAngle(source: ImageFile(path: "/s.png", type: .png), camera: "wide", output: "f.png"))
        #expect(wide.contains("boxblur"))
    }

    @Test func captionsWrapToTwoLines() {
        let long = Array(repeating: "word", count: 60).joined(separator: " ")
        let wrapped = LocalEngine.wrapCaption(long, width: 720)
        #expect(wrapped.split(separator: "\n").count == 2 && wrapped.hasSuffix("…"))
        #expect(LocalEngine.wrapCaption("short", width: 720) == "short")
    }
}
