import Foundation
import SceneFlowTemplate

/// Word times for speech whose generator does not report them (espeak-ng through the local
/// engine): the words are laid over the spans where the voice is actually heard (measured in
/// the audio, so the voice's lead-in and its pauses at commas are skipped), each taking a share
/// of the heard time in proportion to its syllables.
public enum SpeechTiming {
    /// The words of `text` (runs of non-space characters) over `voiced`, the heard spans in
    /// seconds, in order. Empty when there is nothing to say or nothing was heard.
    public static func words(_ text: String, voiced: [(start: Double, end: Double)]) -> [TimedWord] {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        let spans = voiced.filter { $0.end > $0.start && $0.start.isFinite && $0.end.isFinite }.sorted { $0.start < $1.start }
        let heard = spans.reduce(0) { $0 + ($1.end - $1.start) }
        guard !words.isEmpty, heard > 0 else { return [] }
        let weights = words.map { Double(max(1, Captions.syllables(in: $0))) }
        let total = weights.reduce(0, +)

        /// The time at which `fraction` of the heard time has passed.
        func time(at fraction: Double) -> Double {
            var left = fraction * heard
            for span in spans {
                let length = span.end - span.start
                if left <= length { return span.start + left }
                left -= length
            }
            return spans.last!.end
        }
        var result: [TimedWord] = []
        var done = 0.0
        for (word, weight) in zip(words, weights) {
            let start = time(at: done / total)
            done += weight
            // A word ends where its share does, or at the end of its span if a pause follows.
            var end = time(at: done / total)
            if let span = spans.first(where: { $0.start <= start + 1e-9 && start < $0.end }), end > span.end { end = span.end }
            result.append(TimedWord(text: word, start: start, end: max(end, start)))
        }
        return result
    }

    /// The heard spans of an audio file of `length` seconds from ffmpeg's `silencedetect`
    /// log (`silence_start: 1.2` / `silence_end: 1.5` lines): the gaps between silences.
    public static func voicedSpans(silenceLog log: String, length: Double) -> [(start: Double, end: Double)] {
        func value(_ line: Substring, _ key: String) -> Double? {
            line.range(of: key).flatMap { Double(line[$0.upperBound...].split(separator: " ").first ?? "") }
        }
        var spans: [(start: Double, end: Double)] = []
        var from = 0.0
        var inSilence = false
        for line in log.split(separator: "\n") {
            if let start = value(line, "silence_start: ") {
                if start > from { spans.append((from, min(start, length))) }
                inSilence = true
            }
            if let end = value(line, "silence_end: ") {
                from = end
                inSilence = false
            }
        }
        if !inSilence, from < length { spans.append((from, length)) }
        return spans.filter { $0.end - $0.start > 0.02 }
    }
}
