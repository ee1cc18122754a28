import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// `final.otio`: the final cut as an OpenTimelineIO timeline (JSON, the schema OpenTimelineIO
/// 0.15+ writes), so that an editor (DaVinci Resolve, Premiere through its adapter, Avid through
/// EDL) can relink and re-cut it: a video track with each scene's clip at its place, a track of
/// voice-overs (gaps where a scene is silent), the music bed when there is one, and the captions
/// as markers on the video track. Media references are relative to the run folder; each clip
/// carries its scene id and node id in `metadata.sceneflow`. Times are frames at 25 fps.
public enum OTIOTimeline {
    public static let rate = 25.0

    public struct Music: Sendable {
        public var file: String
        public var seconds: Double
        public init(file: String, seconds: Double) { self.file = file; self.seconds = seconds }
    }

    public static func document(graph: SceneGraph, nodes: [RunReport.Node], cues: [Captions.Cue], music: Music? = nil,
                                runID: String) -> [String: Any] {
        var video: [[String: Any]] = [], voice: [[String: Any]] = []
        var total = 0.0
        for scene in graph.scenes {
            let clipFile = graph.indexByID["\(scene.id).video"].flatMap { nodes[$0].output }
            let voiceNode = graph.indexByID["\(scene.id).audio"]
            let voiceFile = voiceNode.flatMap { nodes[$0].output }
            video.append(clipFile.map { clip(name: scene.id, file: $0, seconds: scene.seconds, scene: scene.id, node: "\(scene.id).video") }
                         ?? gap(scene.seconds))
            voice.append(voiceFile.map { clip(name: "\(scene.id) voice", file: $0, seconds: scene.seconds, scene: scene.id, node: "\(scene.id).audio") }
                         ?? gap(scene.seconds))
            total += scene.seconds
        }
        let markers: [[String: Any]] = cues.map { cue in
            ["OTIO_SCHEMA": "Marker.2", "name": cue.text, "comment": cue.text, "color": "YELLOW",
             "marked_range": range(start: cue.start, seconds: cue.end - cue.start),
             "metadata": ["sceneflow": ["scene": cue.scene, "kind": "caption"]]]
        }
        var tracks = [track("Video", kind: "Video", video, markers: markers), track("Voice-over", kind: "Audio", voice)]
        if let music {
            tracks.append(track("Music", kind: "Audio", [clip(name: "music", file: music.file, seconds: min(music.seconds, total), scene: nil, node: nil)]))
        }
        return [
            "OTIO_SCHEMA": "Timeline.1", "name": graph.templateID, "global_start_time": NSNull(),
            "metadata": ["sceneflow": ["template": graph.templateID, "run_id": runID, "version": SceneFlowVersion.current,
                                       "aspect_ratio": graph.aspectRatio.rawValue]],
            "tracks": ["OTIO_SCHEMA": "Stack.1", "name": "tracks", "source_range": NSNull(), "effects": [], "markers": [],
                       "metadata": [:], "enabled": true, "children": tracks],
        ]
    }

    public static func encoded(_ document: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func frames(_ seconds: Double) -> Double { (seconds * rate).rounded() }

    static func time(_ seconds: Double) -> [String: Any] {
        ["OTIO_SCHEMA": "RationalTime.1", "rate": rate, "value": frames(seconds)]
    }

    static func range(start: Double, seconds: Double) -> [String: Any] {
        ["OTIO_SCHEMA": "TimeRange.1", "start_time": time(start), "duration": time(seconds)]
    }

    static func clip(name: String, file: String, seconds: Double, scene: String?, node: String?) -> [String: Any] {
        var meta: [String: Any] = [:]
        if let scene { meta["scene"] = scene }
        if let node { meta["node"] = node }
        return ["OTIO_SCHEMA": "Clip.2", "name": name, "source_range": range(start: 0, seconds: seconds),
                "media_references": ["DEFAULT_MEDIA": ["OTIO_SCHEMA": "ExternalReference.1", "name": file, "target_url": file,
                                                       "available_range": range(start: 0, seconds: seconds), "metadata": [:]]],
                "active_media_reference_key": "DEFAULT_MEDIA", "metadata": ["sceneflow": meta], "effects": [], "markers": [],
                "enabled": true]
    }

    static func gap(_ seconds: Double) -> [String: Any] {
        ["OTIO_SCHEMA": "Gap.1", "name": "", "source_range": range(start: 0, seconds: seconds), "effects": [], "markers": [],
         "metadata": [:], "enabled": true]
    }

    static func track(_ name: String, kind: String, _ children: [[String: Any]], markers: [[String: Any]] = []) -> [String: Any] {
        ["OTIO_SCHEMA": "Track.1", "name": name, "kind": kind, "source_range": NSNull(), "effects": [], "markers": markers,
         "metadata": [:], "enabled": true, "children": children]
    }
}
