import Foundation
import SceneFlowTemplate

/// Timed captions of what the scenes say, for the final cut: `captions.srt`, `captions.vtt`,
/// and burned in on request. A speaking scene's dialogue is cut into short phrases (at most four
/// words or 28 characters, breaking after punctuation), in the large, short-phrase style of UGC
/// ads. The voice-over starts at the scene's start. When its generator reported when each word
/// is spoken (ElevenLabs' `/with-timestamps` alignment; the local engine's words laid over
/// where its voice is heard, `SpeechTiming`), a phrase runs from its first word's start to its
/// last word's end (held 0.4 s longer, or until the next phrase across a pause under 0.6 s);
/// otherwise phrases are
/// timed by an even split by syllables: about 0.23 s a syllable (espeak-ng's pace; the local
/// voice is sped up, up to 1.6×, to fit the scene). No cue passes its scene's end.
/// Silent scenes get no cue; a phrase with no letter or digit in it (only emoji or punctuation)
/// joins the phrase before it, or is left out when nothing precedes it.
public enum Captions {
    public struct Cue: Sendable, Equatable {
        public var scene: String
        public var start: Double
        public var end: Double
        public var text: String
    }

    static let secondsPerSyllable = 0.23
    static let maxWords = 4
    static let maxCharacters = 28
    /// A phrase stays on screen until the next one when the pause between them is shorter.
    static let holdGap = 0.6
    /// Otherwise it stays this long after its last word, so it does not vanish with the sound.
    static let linger = 0.4
    /// A cue is on screen at least this long, and at least one second per this many characters:
    /// the time a viewer needs to read it. Short-form ads flash short phrases quickly (a word or
    /// two in a third of a second reads well), so the floor is low and the pace that of fast
    /// readers (20 characters a second).
    static let minimumSeconds = 0.3
    static let readingCharactersPerSecond = 20.0
    /// Phrases too short to read are merged into cues of at most this many characters (two lines).
    static let maxMergedCharacters = 2 * maxCharacters

    /// How long `text` must stay on screen to be read.
    static func readable(_ text: String) -> Double {
        max(minimumSeconds, Double(text.count) / readingCharactersPerSecond)
    }

    /// The cues of the whole cut, scenes one after another in playback order. `words` holds,
    /// by scene id, the spoken words' times where the voice-over's generator reported them.
    public static func cues(_ scenes: [SceneFacts], words: [String: [TimedWord]] = [:]) -> [Cue] {
        var cues: [Cue] = []
        var offset = 0.0
        for scene in scenes {
            defer { offset += scene.seconds }
            guard scene.speaking, let dialogue = scene.dialogue else { continue }
            if let timed = words[scene.id], !timed.isEmpty {
                cues += readableCues(aligned(timed, scene: scene, offset: offset), sceneEnd: offset + scene.seconds)
                continue
            }
            let phrases = phrases(dialogue)
            guard !phrases.isEmpty else { continue }
            let weights = phrases.map { Double(max(1, syllables(in: $0))) }
            let total = weights.reduce(0, +)
            let speech = min(max(scene.seconds - 0.1, 0.5), max(1.0, total * secondsPerSyllable * speedUp(total, seconds: scene.seconds)))
            var t = 0.0
            var own: [Cue] = []
            for (phrase, weight) in zip(phrases, weights) {
                let length = speech * weight / total
                own.append(Cue(scene: scene.id, start: offset + t, end: offset + min(t + length, scene.seconds), text: phrase))
                t += length
            }
            cues += readableCues(own, sceneEnd: offset + scene.seconds)
        }
        return cues
    }

    /// Cues of one scene made readable: a cue shorter than its text needs is merged with the
    /// next (up to two lines); what still cannot be read in time is held for its reading time,
    /// pushing later cues back, and cues that no longer fit in the scene are left out, the last
    /// shown ending with "…" (validate warns of such dialogue: `dialogue-too-long`).
    static func readableCues(_ cues: [Cue], sceneEnd: Double) -> [Cue] {
        var merged: [Cue] = []
        for cue in cues {
            if var last = merged.last, last.end - last.start < readable(last.text),
               last.text.count + 1 + cue.text.count <= maxMergedCharacters {
                last.text += " " + cue.text
                last.end = cue.end
                merged[merged.count - 1] = last
            } else {
                merged.append(cue)
            }
        }
        var shown: [Cue] = []
        var earliest = -Double.infinity
        for var cue in merged {
            cue.start = max(cue.start, earliest)
            cue.end = max(cue.end, cue.start + readable(cue.text))
            guard cue.end <= sceneEnd + 1e-9 else {
                // The last cue shown says that more was said, if it can still be read with the mark.
                if var last = shown.last, !last.text.hasSuffix("…"), last.start + readable(last.text + " …") <= sceneEnd + 1e-9 {
                    last.text += " …"
                    last.end = max(last.end, last.start + readable(last.text))
                    shown[shown.count - 1] = last
                }
                break
            }
            shown.append(cue)
            earliest = cue.end
        }
        return shown
    }

    /// Phrases of words whose times the voice-over's generator reported.
    static func aligned(_ words: [TimedWord], scene: SceneFacts, offset: Double) -> [Cue] {
        let groups = phraseGroups(words.map(\.text))
        var cues: [Cue] = []
        for (n, group) in groups.enumerated() {
            let start = min(words[group.first!].start, scene.seconds)
            // Held until the next phrase across a short pause, else a moment past the last word.
            let spoken = words[group.last!].end
            var end = min(spoken + linger, scene.seconds)
            if n + 1 < groups.count {
                let next = words[groups[n + 1].first!].start
                end = next - spoken < holdGap ? max(spoken, next) : min(end, next)
                end = min(end, scene.seconds)
            }
            guard end > start else { continue }   // spoken after the scene ends: cut with it
            let text = group.map { words[$0].text }.joined(separator: " ")
            cues.append(Cue(scene: scene.id, start: offset + start, end: offset + end, text: text))
        }
        return cues
    }

    /// How much faster than its natural pace a voice-over is (the local engine's rule).
    static func speedUp(_ syllables: Double, seconds: Double) -> Double {
        let natural = syllables * secondsPerSyllable
        return natural <= seconds ? 1 : max(1 / 1.6, seconds / natural)
    }

    /// Short phrases of `text`, in order.
    static func phrases(_ text: String) -> [String] {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        return phraseGroups(words).map { group in group.map { words[$0] }.joined(separator: " ") }
    }

    /// `words` grouped into short phrases, as indices into `words`, in order.
    static func phraseGroups(_ words: [String]) -> [[Int]] {
        func spoken(_ group: [Int]) -> Bool {
            group.contains { words[$0].unicodeScalars.contains { CharacterSet.alphanumerics.contains($0) } }
        }
        var groups: [[Int]] = []
        var current: [Int] = []
        var length = 0
        func flush() {
            guard !current.isEmpty else { return }
            if spoken(current) || groups.isEmpty {
                groups.append(current)
            } else {
                groups[groups.count - 1] += current
            }
            current = []
            length = 0
        }
        for (i, word) in words.enumerated() {
            let added = length + (current.isEmpty ? 0 : 1) + word.count
            if !current.isEmpty, current.count >= maxWords || added > maxCharacters { flush() }
            length += (current.isEmpty ? 0 : 1) + word.count
            current.append(i)
            if let last = word.last, ".,!?;:…".contains(last) { flush() }
        }
        flush()
        // A first phrase of only symbols stands alone only if there is nothing to join it to.
        return groups.filter(spoken)
    }

    /// Vowel groups in Latin letters (at least one a word); other scripts count a syllable per
    /// two letters.
    static func syllables(in phrase: String) -> Int {
        var count = 0
        for word in phrase.split(separator: " ") {
            var groups = 0, inVowel = false, letters = 0
            for c in word.lowercased() {
                guard c.isLetter || c.isNumber else { continue }
                letters += 1
                let vowel = "aeiouyàáâäèéêëìíîïòóôöùúûü".contains(c)
                if vowel && !inVowel { groups += 1 }
                inVowel = vowel
            }
            let latin = word.unicodeScalars.allSatisfy { $0.value < 0x250 }
            count += letters == 0 ? 0 : max(1, latin ? groups : (letters + 1) / 2)
        }
        return count
    }

    /// SubRip: `1\n00:00:00,000 --> 00:00:01,200\ntext\n\n`. SubRip has no escapes, and players
    /// read `<b>`-like tags in it, so angle brackets are written as the single angle quotation
    /// marks (‹ ›): a dialogue's `<b>` or `-->` stays text, and no cue line looks like a timing.
    public static func srt(_ cues: [Cue]) -> String {
        cues.enumerated().map { n, cue in "\(n + 1)\n\(time(cue.start, ",")) --> \(time(cue.end, ","))\n\(srtText(cue.text))\n" }.joined(separator: "\n")
    }

    /// WebVTT, its cue text escaped as the format says (`&amp;`, `&lt;`, `&gt;`), so `-->` in
    /// a dialogue never ends up in a cue.
    public static func vtt(_ cues: [Cue]) -> String {
        "WEBVTT\n\n" + cues.map { "\(time($0.start, ".")) --> \(time($0.end, "."))\n\(vttText($0.text))\n" }.joined(separator: "\n")
    }

    static func srtText(_ text: String) -> String {
        oneLine(text).replacingOccurrences(of: "<", with: "‹").replacingOccurrences(of: ">", with: "›")
    }

    static func vttText(_ text: String) -> String {
        oneLine(text).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A cue's text never holds a line break (a blank line would end the cue).
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    static func time(_ seconds: Double, _ separator: String) -> String {
        let ms = Int((seconds * 1000).rounded())
        return String(format: "%02d:%02d:%02d%@%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, separator, ms % 1000)
    }
}

/// A spoken word and when it is said, in seconds from the start of its voice-over.
public struct TimedWord: Sendable, Codable, Hashable {
    public var text: String
    public var start: Double
    public var end: Double

    public init(text: String, start: Double, end: Double) {
        self.text = text
        self.start = start
        self.end = end
    }

    /// Words of a character alignment (ElevenLabs' `alignment`): runs of non-space characters,
    /// each from its first character's start to its last character's end. Nil when the three
    /// arrays differ in length or a time is not a finite, non-negative number.
    public static func words(characters: [String], starts: [Double], ends: [Double]) -> [TimedWord]? {
        guard characters.count == starts.count, starts.count == ends.count,
              (starts + ends).allSatisfy({ $0.isFinite && $0 >= 0 }) else { return nil }
        var words: [TimedWord] = []
        var current: TimedWord?
        for (i, character) in characters.enumerated() {
            if character.allSatisfy(\.isWhitespace) {
                if let word = current { words.append(word) }
                current = nil
            } else if current == nil {
                current = TimedWord(text: character, start: starts[i], end: max(starts[i], ends[i]))
            } else {
                current!.text += character
                current!.end = max(current!.end, ends[i])
            }
        }
        if let word = current { words.append(word) }
        return words
    }
}
