import Foundation
import PropertyBased
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// Captions timed by a voice-over's word alignment (ElevenLabs' `/with-timestamps`) rather
/// than by the syllable split.
@Suite(.timeLimit(.minutes(1))) struct AlignedCaptionsTests {
    static func scene(_ id: String, _ dialogue: String?, seconds: Double) -> SceneFacts {
        SceneFacts(id: id, index: 0, prompt: "", speaking: dialogue != nil, dialogue: dialogue, seconds: seconds, voice: nil, avatar: nil)
    }

    /// Words timed evenly by character, as the fake ElevenLabs does: `rate` characters a second.
    static func timed(_ text: String, rate: Double) -> [TimedWord] {
        let characters = text.map(String.init)
        let starts = characters.indices.map { Double($0) / rate }
        return TimedWord.words(characters: characters, starts: starts, ends: starts.map { $0 + 1 / rate })!
    }

    @Test func wordsAreRunsOfNonSpaceCharacters() throws {
        let words = try #require(TimedWord.words(characters: [" ", "H", "i", " ", " ", "y", "o", "u", "!"],
                                                 starts: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
                                                 ends: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]))
        #expect(words == [TimedWord(text: "Hi", start: 0.1, end: 0.3), TimedWord(text: "you!", start: 0.5, end: 0.9)])
        #expect(TimedWord.words(characters: ["a", "b"], starts: [0, 1], ends: [1]) == nil, "arrays of different lengths")
        #expect(TimedWord.words(characters: ["a"], starts: [.nan], ends: [1]) == nil)
        #expect(TimedWord.words(characters: ["a"], starts: [-1], ends: [1]) == nil)
    }

    @Test func phrasesRunFromTheirFirstWordToTheirLast() {
        // 10 characters a second: "Okay, I was not expecting this." is 3.1 s of speech.
        let text = "Okay, I was not expecting this."
        let cues = Captions.cues([Self.scene("hook", text, seconds: 5), Self.scene("demo", nil, seconds: 4), Self.scene("end", "Link below.", seconds: 3)],
                                 words: ["hook": Self.timed(text, rate: 10), "end": Self.timed("Link below.", rate: 10)])
        #expect(cues.map(\.text) == ["Okay,", "I was not expecting", "this.", "Link below."])
        #expect(cues.map(\.scene) == ["hook", "hook", "hook", "end"])
        // "Okay," 0–0.5, held to "I" at 0.6 (a short pause); "this." ends with its last letter
        // at 3.1 and lingers 0.4 s.
        #expect(abs(cues[0].start) < 1e-9 && abs(cues[0].end - 0.6) < 1e-9)
        #expect(abs(cues[2].end - 3.5) < 1e-9)
        // The third scene starts at 9 s; nothing is shown during the silent scene.
        #expect(abs(cues[3].start - 9) < 1e-9 && abs(cues[3].end - 10.5) < 1e-9)
    }

    @Test func speechPastTheSceneEndIsCutWithIt() {
        let text = "One two three four five six seven"   // 3.3 s at 10 characters a second
        let cues = Captions.cues([Self.scene("s", text, seconds: 2)], words: ["s": Self.timed(text, rate: 10)])
        #expect(cues.allSatisfy { $0.end <= 2 && $0.start < $0.end })
        #expect(cues.map(\.text).joined(separator: " ").hasPrefix("One two three"))
    }

    @Test func withoutWordsTheSyllableSplitStays() {
        let text = "Okay, I was not expecting this."
        #expect(Captions.cues([Self.scene("s", text, seconds: 5)], words: [:]) == Captions.cues([Self.scene("s", text, seconds: 5)]))
        #expect(Captions.cues([Self.scene("s", text, seconds: 5)], words: ["s": []]) == Captions.cues([Self.scene("s", text, seconds: 5)]))
    }

    /// Generated dialogue of every kind (emoji, right-to-left, long words, punctuation alone) and
    /// alignments of every pace: cues lie inside their scene, in order, never overlapping, and
    /// say the dialogue's spoken words in order.
    @Test func generatedAlignmentsGiveOrderedCuesInsideTheirScenes() async {
        let pieces = ["wow", "this", "grinder", "is", "wild.", "😀", "🔥🔥", "!!!", "—", "שלום", "مرحبا", "supercalifragilisticexpialidocious",
                      "I", "can't,", "believe", "it…", "12", "x", "Läuft?"]
        await propertyCheck(count: 200, input: Gen.int(in: 0...1_000_000)) { seed in
            var rng = FuzzTests.Random(state: UInt64(seed))
            let count = Int.random(in: 1...30, using: &rng)
            let text = (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: " ")
            let seconds = Double.random(in: 0.5...12, using: &rng)
            let rate = Double.random(in: 2...40, using: &rng)
            let lead = Double.random(in: 0...8, using: &rng)
            let words = Self.timed(text, rate: rate).map { TimedWord(text: $0.text, start: $0.start + lead, end: $0.end + lead) }
            let cues = Captions.cues([Self.scene("a", nil, seconds: 1), Self.scene("b", text, seconds: seconds)], words: ["b": words])
            for cue in cues {
                #expect(cue.scene == "b" && cue.start >= 1 && cue.end <= 1 + seconds + 1e-9 && cue.start < cue.end, "\(cue) of \(text)")
                // Never shorter than its words can be read (0.3 s, 20 characters a second).
                #expect(cue.end - cue.start >= max(0.3, Double(cue.text.count) / 20) - 1e-9, "\(cue) is too short to read")
            }
            #expect(zip(cues, cues.dropFirst()).allSatisfy { $0.end <= $1.start + 1e-9 })
            let shown = cues.map(\.text).joined(separator: " ").split(separator: " ").filter { $0 != "…" }
            let spoken = text.split(separator: " ")
            #expect(shown.allSatisfy { spoken.contains($0) })
            // Shown words are the spoken ones in order: a subsequence, all of it when it fits.
            var rest = spoken[...]
            for word in shown {
                guard let at = rest.firstIndex(of: word) else { Issue.record("\(word) out of order in \(text)"); break }
                rest = rest[(at + 1)...]
            }
            // When all the speech fits in the scene at a pace that can be read, every word with a
            // letter or digit is shown.
            if lead + Double(text.count) / min(rate, 20) + 0.3 * Double(count) <= seconds {
                func spokenWord(_ w: Substring) -> Bool { w.unicodeScalars.contains { CharacterSet.alphanumerics.contains($0) } }
                #expect(shown.filter(spokenWord) == spoken.filter(spokenWord), "\(text)")
            }
        }
    }

    /// Dialogue that looks like markup or like a timing line stays text in both formats.
    @Test func captionTextIsEscapedForEachFormat() {
        let cues = Captions.cues([Self.scene("s", "Use <b>bold</b> & this --> now", seconds: 8)])
        let srt = Captions.srt(cues), vtt = Captions.vtt(cues)
        let timing = #/^\d{2}:\d{2}:\d{2}[,.]\d{3} --> \d{2}:\d{2}:\d{2}[,.]\d{3}$/#
        for (name, text) in [("srt", srt), ("vtt", vtt)] {
            for line in text.split(separator: "\n") where line.contains("-->") {
                #expect(line.wholeMatch(of: timing) != nil, "\(name): \(line) is not a timing line")
            }
            #expect(!text.contains("<b>") && !text.contains("</b>"), "\(name) carries no tag")
        }
        #expect(srt.contains("‹b›bold‹/b›") && srt.contains("&"))
        #expect(vtt.contains("&lt;b&gt;bold&lt;/b&gt;") && vtt.contains("&amp;") && vtt.contains("--&gt;"))
    }

    /// 5,000 characters in a 5 s scene: only what can be read is shown, each cue long enough.
    @Test func dialogueTooLongForItsSceneShowsOnlyReadableCues() {
        let words = ["this", "grinder", "is", "honestly", "the", "best", "thing", "I", "bought"]
        let text = (0..<1000).map { words[$0 % words.count] }.joined(separator: " ")
        #expect(text.count > 5000)
        let cues = Captions.cues([Self.scene("s", text, seconds: 5)])
        #expect(!cues.isEmpty && cues.count < 20, "\(cues.count) cues")
        for cue in cues { #expect(cue.end - cue.start >= max(0.3, Double(cue.text.count) / 20) - 1e-9 && cue.end <= 5 + 1e-9, "\(cue)") }
        #expect(cues.last?.text.hasSuffix("…") == true, "the last cue says more was said")
    }

    // MARK: The local engine's words, laid over where the voice is heard

    @Test func silencesBecomeTheHeardSpans() {
        let log = """
        [silencedetect @ 0x1] silence_start: 0
        [silencedetect @ 0x1] silence_end: 0.21 | silence_duration: 0.21
        [silencedetect @ 0x1] silence_start: 1.4
        [silencedetect @ 0x1] silence_end: 1.7 | silence_duration: 0.3
        [silencedetect @ 0x1] silence_start: 3.05
        """
        let spans = SpeechTiming.voicedSpans(silenceLog: log, length: 5)
        #expect(spans.map(\.start) == [0.21, 1.7] && spans.map(\.end) == [1.4, 3.05])
        #expect(SpeechTiming.voicedSpans(silenceLog: "", length: 2).map(\.end) == [2], "no silence: heard throughout")
        #expect(SpeechTiming.voicedSpans(silenceLog: "silence_start: 0\n", length: 2).isEmpty, "silent throughout")
    }

    @Test func wordsSkipTheLeadInAndThePauses() {
        let words = SpeechTiming.words("Okay, so this is wild.", voiced: [(0.2, 0.8), (1.2, 2.4)])
        #expect(words.map(\.text) == ["Okay,", "so", "this", "is", "wild."])
        #expect(abs(words[0].start - 0.2) < 1e-9, "the first word starts when the voice is first heard")
        #expect(abs(words.last!.end - 2.4) < 1e-9, "the last ends when it stops")
        #expect(words.allSatisfy { w in !(w.start > 0.8 + 1e-9 && w.start < 1.2 - 1e-9) }, "no word starts in the pause")
        #expect(SpeechTiming.words("", voiced: [(0, 1)]).isEmpty && SpeechTiming.words("hi", voiced: []).isEmpty)
    }

    @Test func generatedSpeechTimingsAreOrderedAndInsideTheHeardSpans() async {
        let pieces = ["wow", "this", "grinder", "is", "wild.", "😀", "!!!", "שלום", "supercalifragilisticexpialidocious", "I", "can't,", "12"]
        await propertyCheck(count: 200, input: Gen.int(in: 0...1_000_000)) { seed in
            var rng = FuzzTests.Random(state: UInt64(seed))
            let text = (0..<Int.random(in: 1...25, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: " ")
            var spans: [(start: Double, end: Double)] = []
            var t = Double.random(in: 0...0.5, using: &rng)
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                let end = t + Double.random(in: 0.05...3, using: &rng)
                spans.append((t, end))
                t = end + Double.random(in: 0.1...1, using: &rng)
            }
            let words = SpeechTiming.words(text, voiced: spans)
            #expect(words.map(\.text) == text.split(separator: " ").map(String.init))
            #expect(zip(words, words.dropFirst()).allSatisfy { $0.start <= $1.start + 1e-9 && $0.end <= $1.start + 1e-9 }, "\(words)")
            #expect(words.allSatisfy { w in spans.contains { $0.start - 1e-9 <= w.start && w.end <= $0.end + 1e-9 } }, "every word inside a heard span: \(words) \(spans)")
        }
    }
}
