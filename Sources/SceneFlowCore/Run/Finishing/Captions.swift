import Foundation

/// Timed captions of what the scenes say, for the final cut: `captions.srt`, `captions.vtt`,
/// and burned in on request. A speaking scene's dialogue is cut into short phrases (at most four
/// words or 28 characters, breaking after punctuation), in the large, short-phrase style of UGC
/// ads, and timed by an even split by syllables over the speech: the voice-over starts at the
/// scene's start and takes about 0.23 s a syllable (espeak-ng's pace; the local voice is sped up,
/// up to 1.6×, to fit the scene), never past the scene's end. Silent scenes get no cue; a phrase
/// with no letter or digit in it (only emoji or punctuation) joins the phrase before it, or is
/// left out when nothing precedes it.
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

    /// The cues of the whole cut, scenes one after another in playback order.
    public static func cues(_ scenes: [SceneFacts]) -> [Cue] {
        var cues: [Cue] = []
        var offset = 0.0
        for scene in scenes {
            defer { offset += scene.seconds }
            guard scene.speaking, let dialogue = scene.dialogue else { continue }
            let phrases = phrases(dialogue)
            guard !phrases.isEmpty else { continue }
            let weights = phrases.map { Double(max(1, syllables(in: $0))) }
            let total = weights.reduce(0, +)
            let speech = min(max(scene.seconds - 0.1, 0.5), max(1.0, total * secondsPerSyllable * speedUp(total, seconds: scene.seconds)))
            var t = 0.0
            for (phrase, weight) in zip(phrases, weights) {
                let length = speech * weight / total
                cues.append(Cue(scene: scene.id, start: offset + t, end: offset + min(t + length, scene.seconds), text: phrase))
                t += length
            }
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
        var phrases: [String] = []
        var current: [String] = []
        func flush() {
            guard !current.isEmpty else { return }
            let phrase = current.joined(separator: " ")
            if phrase.unicodeScalars.contains(where: { CharacterSet.alphanumerics.contains($0) }) || phrases.isEmpty {
                phrases.append(phrase)
            } else {
                phrases[phrases.count - 1] += " " + phrase
            }
            current = []
        }
        for word in words {
            let length = (current + [word]).joined(separator: " ").count
            if !current.isEmpty, current.count >= maxWords || length > maxCharacters { flush() }
            current.append(word)
            if let last = word.last, ".,!?;:…".contains(last) { flush() }
        }
        flush()
        // A first phrase of only symbols stands alone only if there is nothing to join it to.
        return phrases.filter { $0.unicodeScalars.contains { CharacterSet.alphanumerics.contains($0) } }
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

    /// SubRip: `1\n00:00:00,000 --> 00:00:01,200\ntext\n\n`.
    public static func srt(_ cues: [Cue]) -> String {
        cues.enumerated().map { n, cue in "\(n + 1)\n\(time(cue.start, ",")) --> \(time(cue.end, ","))\n\(cue.text)\n" }.joined(separator: "\n")
    }

    /// WebVTT.
    public static func vtt(_ cues: [Cue]) -> String {
        "WEBVTT\n\n" + cues.map { "\(time($0.start, ".")) --> \(time($0.end, "."))\n\($0.text)\n" }.joined(separator: "\n")
    }

    static func time(_ seconds: Double, _ separator: String) -> String {
        let ms = Int((seconds * 1000).rounded())
        return String(format: "%02d:%02d:%02d%@%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, separator, ms % 1000)
    }
}
