import Foundation
import SceneFlowTemplate

/// How the final cut is finished (`run --captions`, `--music`): captions burned in or only
/// written beside it, a music bed under the voice, and the provenance written into the file.
/// The voice (and music) is always loudness-normalised to −14 LUFS integrated.
public struct Finishing: Sendable, Equatable {
    /// Burn the captions into the picture.
    public var burnCaptions = false
    /// Write the captions beside the cut (`captions.srt`/`.vtt`, each scene's) and as markers in
    /// `final.otio`; `--captions none` turns this off.
    public var captionFiles = true
    public var music: MusicBed?
    /// Written into the MP4's metadata: template, product, SceneFlow version.
    public var provenance: [String: String] = [:]

    public init() {}
}

/// A music track mixed under the whole cut: looped when shorter than the cut, cut when longer,
/// faded in and out, ducked under speech.
public struct MusicBed: Sendable, Equatable {
    public var file: URL
    public var sha256: String
    /// Its length, as ffprobe reports it.
    public var seconds: Double

    public init(file: URL, sha256: String, seconds: Double) {
        self.file = file
        self.sha256 = sha256
        self.seconds = seconds
    }
}
