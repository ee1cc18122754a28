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
                                runID: String) -> Timeline {
        var video: [Item] = [], voice: [Item] = []
        var total = 0.0
        for scene in graph.scenes {
            let clipFile = graph.indexByID["\(scene.id).video"].flatMap { nodes[$0].output }
            let voiceNode = graph.indexByID["\(scene.id).audio"]
            let voiceFile = voiceNode.flatMap { nodes[$0].output }
            video.append(clipFile.map { .clip(Clip(name: scene.id, file: $0, seconds: scene.seconds, scene: scene.id, node: "\(scene.id).video")) }
                         ?? .gap(Gap(seconds: scene.seconds)))
            voice.append(voiceFile.map { .clip(Clip(name: "\(scene.id) voice", file: $0, seconds: scene.seconds, scene: scene.id, node: "\(scene.id).audio")) }
                         ?? .gap(Gap(seconds: scene.seconds)))
            total += scene.seconds
        }
        let markers = cues.map { cue in
            Marker(name: cue.text, comment: cue.text, markedRange: TimeRange(start: cue.start, seconds: cue.end - cue.start),
                   metadata: ["sceneflow": ["scene": cue.scene, "kind": "caption"]])
        }
        var tracks = [Track(name: "Video", kind: "Video", children: video, markers: markers), Track(name: "Voice-over", kind: "Audio", children: voice)]
        if let music {
            tracks.append(Track(name: "Music", kind: "Audio",
                                children: [.clip(Clip(name: "music", file: music.file, seconds: min(music.seconds, total), scene: nil, node: nil))]))
        }
        return Timeline(name: graph.templateID,
                        metadata: ["sceneflow": ["template": graph.templateID, "run_id": runID, "version": SceneFlowVersion.current,
                                                 "aspect_ratio": graph.aspectRatio.rawValue]],
                        tracks: Stack(children: tracks))
    }

    public static func encoded(_ timeline: Timeline) throws -> Data {
        try JSONCoding.pretty.encode(timeline)
    }

    static func frames(_ seconds: Double) -> Double { (seconds * rate).rounded() }

    // MARK: The schema's objects (OpenTimelineIO's JSON, `OTIO_SCHEMA` naming each)

    public struct RationalTime: Encodable, Sendable {
        var schema = "RationalTime.1"
        var rate: Double
        var value: Double
        init(_ seconds: Double) {
            rate = OTIOTimeline.rate
            value = OTIOTimeline.frames(seconds)
        }
        enum CodingKeys: String, CodingKey { case rate, value; case schema = "OTIO_SCHEMA" }
    }

    public struct TimeRange: Encodable, Sendable {
        var schema = "TimeRange.1"
        var startTime: RationalTime
        var duration: RationalTime
        init(start: Double, seconds: Double) {
            startTime = RationalTime(start)
            duration = RationalTime(seconds)
        }
        enum CodingKeys: String, CodingKey { case duration; case schema = "OTIO_SCHEMA", startTime = "start_time" }
    }

    public struct Marker: Encodable, Sendable {
        var schema = "Marker.2"
        var name: String
        var comment: String
        var color = "YELLOW"
        var markedRange: TimeRange
        var metadata: [String: [String: String]]
        enum CodingKeys: String, CodingKey { case name, comment, color, metadata; case schema = "OTIO_SCHEMA", markedRange = "marked_range" }
    }

    public struct ExternalReference: Encodable, Sendable {
        var schema = "ExternalReference.1"
        var name: String
        var targetURL: String
        var availableRange: TimeRange
        var metadata: [String: String] = [:]
        enum CodingKeys: String, CodingKey {
            case name, metadata
            case schema = "OTIO_SCHEMA", targetURL = "target_url", availableRange = "available_range"
        }
    }

    public struct Clip: Encodable, Sendable {
        var schema = "Clip.2"
        var name: String
        var sourceRange: TimeRange
        var mediaReferences: [String: ExternalReference]
        var activeMediaReferenceKey = "DEFAULT_MEDIA"
        var metadata: [String: [String: String]]
        var effects: [String] = []
        var markers: [Marker] = []
        var enabled = true

        init(name: String, file: String, seconds: Double, scene: String?, node: String?) {
            self.name = name
            sourceRange = TimeRange(start: 0, seconds: seconds)
            mediaReferences = ["DEFAULT_MEDIA": ExternalReference(name: file, targetURL: file, availableRange: TimeRange(start: 0, seconds: seconds))]
            var meta: [String: String] = [:]
            if let scene { meta["scene"] = scene }
            if let node { meta["node"] = node }
            metadata = ["sceneflow": meta]
        }

        enum CodingKeys: String, CodingKey {
            case name, metadata, effects, markers, enabled
            case schema = "OTIO_SCHEMA", sourceRange = "source_range", mediaReferences = "media_references"
            case activeMediaReferenceKey = "active_media_reference_key"
        }
    }

    public struct Gap: Encodable, Sendable {
        var schema = "Gap.1"
        var name = ""
        var sourceRange: TimeRange
        var effects: [String] = []
        var markers: [Marker] = []
        var metadata: [String: String] = [:]
        var enabled = true
        init(seconds: Double) { sourceRange = TimeRange(start: 0, seconds: seconds) }
        enum CodingKeys: String, CodingKey { case name, effects, markers, metadata, enabled; case schema = "OTIO_SCHEMA", sourceRange = "source_range" }
    }

    /// A track's child: a clip or a gap.
    public enum Item: Encodable, Sendable {
        case clip(Clip), gap(Gap)
        public func encode(to encoder: Encoder) throws {
            switch self {
            case .clip(let clip): try clip.encode(to: encoder)
            case .gap(let gap): try gap.encode(to: encoder)
            }
        }
    }

    public struct Track: Encodable, Sendable {
        var schema = "Track.1"
        var name: String
        var kind: String
        var children: [Item]
        var markers: [Marker] = []
        var effects: [String] = []
        var metadata: [String: String] = [:]
        var enabled = true
        enum CodingKeys: String, CodingKey {
            case name, kind, children, markers, effects, metadata, enabled, sourceRange = "source_range"
            case schema = "OTIO_SCHEMA"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(schema, forKey: .schema)
            try c.encode(name, forKey: .name)
            try c.encode(kind, forKey: .kind)
            try c.encodeNil(forKey: .sourceRange)
            try c.encode(effects, forKey: .effects)
            try c.encode(markers, forKey: .markers)
            try c.encode(metadata, forKey: .metadata)
            try c.encode(enabled, forKey: .enabled)
            try c.encode(children, forKey: .children)
        }
    }

    public struct Stack: Encodable, Sendable {
        var children: [Track]
        enum CodingKeys: String, CodingKey {
            case name, children, effects, markers, metadata, enabled, sourceRange = "source_range"
            case schema = "OTIO_SCHEMA"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("Stack.1", forKey: .schema)
            try c.encode("tracks", forKey: .name)
            try c.encodeNil(forKey: .sourceRange)
            try c.encode([String](), forKey: .effects)
            try c.encode([Marker](), forKey: .markers)
            try c.encode([String: String](), forKey: .metadata)
            try c.encode(true, forKey: .enabled)
            try c.encode(children, forKey: .children)
        }
    }

    public struct Timeline: Encodable, Sendable {
        var name: String
        var metadata: [String: [String: String]]
        var tracks: Stack
        enum CodingKeys: String, CodingKey { case name, metadata, tracks; case schema = "OTIO_SCHEMA", globalStartTime = "global_start_time" }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("Timeline.1", forKey: .schema)
            try c.encode(name, forKey: .name)
            try c.encodeNil(forKey: .globalStartTime)
            try c.encode(metadata, forKey: .metadata)
            try c.encode(tracks, forKey: .tracks)
        }
    }
}
