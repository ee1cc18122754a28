import Foundation

/// A SubRip (`.srt`) reader for the tests: the cues a player would show, in file order.
public enum SubRip {
    public struct Cue: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var text: String
    }

    /// The cues of `text`; a block without a `-->` timing line is skipped.
    public static func cues(_ text: String) -> [Cue] {
        func seconds(_ s: Substring) -> Double {
            let parts = s.replacingOccurrences(of: ",", with: ":").split(separator: ":").compactMap { Double($0) }
            return parts.count == 4 ? parts[0] * 3600 + parts[1] * 60 + parts[2] + parts[3] / 1000 : .nan
        }
        return text.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n")
            guard lines.count >= 3, let arrow = lines[1].range(of: " --> ") else { return nil }
            return Cue(start: seconds(lines[1][..<arrow.lowerBound]), end: seconds(lines[1][arrow.upperBound...]),
                       text: lines[2...].joined(separator: " "))
        }
    }
}
