/// Reads the located value tree into a `Template`, reporting every schema problem at once.
///
/// Codable stops at the first error, and a template author wants all of them, each located, so
/// the schema is read by hand here: one function per object of template-v1, each listing its
/// known fields (unknown ones are errors with a "did you mean"). A field of the wrong type is
/// reported and left `nil`, which later rules treat as absent, so it causes no knock-on errors.
public struct TemplateDecoder {
    public private(set) var findings = Findings()

    public init() {}

    public static let supportedSchemaVersions = [1]
    /// No scene is longer than an hour (a number past it is a typo, or hostile).
    public static let maxSceneSeconds = 3600.0

    public mutating func decode(_ root: LocatedValue) -> Template {
        var template = Template()
        guard var object = object(root, path: "", what: "a template") else { return template }

        // The header first: a future version may change everything after it.
        if let version = object.take("schema_version") {
            if case .number(let v, let isInteger) = version.kind, isInteger {
                // Compared as a number: a value beyond Int's range must not be converted to one.
                guard let supported = Self.supportedSchemaVersions.first(where: { Double($0) == v }) else {
                    findings.error(.unsupportedSchemaVersion,
                                   "schema_version \(formatNumber(v)) is not supported; this SceneFlow reads version \(Self.supportedSchemaVersions.map(String.init).joined(separator: ", "))",
                                   path: "schema_version", at: version.anchor,
                                   suggestion: "upgrade SceneFlow, or write the template for schema_version 1")
                    return template
                }
                template.schemaVersion = supported
            } else {
                typeMismatch(version, expected: "the integer 1", path: "schema_version")
            }
        } else {
            findings.error(.missingField, "the template has no \"schema_version\"; add \"schema_version\": 1",
                           path: "schema_version", at: root.anchor)
        }

        // An editor's schema reference (`sceneflow schema`): allowed, and not part of the template.
        if let schema = object.take("$schema") { _ = string(schema, path: "[\"$schema\"]") }
        template.id = slug(object.take("id"), path: "id", required: true, parent: root.anchor, what: "template id")
        template.name = string(object.take("name"), path: "name", limit: Self.maxTextLength)?.value
        if let ratio = object.take("aspect_ratio") {
            template.aspectRatioValue = enumeration(ratio, AspectRatio.self, path: "aspect_ratio")
        }
        if let models = object.take("models") {
            template.models = self.models(models)
        }
        for e in elements(object.take("avatars"), path: "avatars") {
            if let avatar = avatar(e.value, index: e.index, path: e.path, template: &template) { template.avatars.append(avatar) }
        }
        for e in elements(object.take("backgrounds"), path: "backgrounds") {
            if let background = background(e.value, index: e.index, path: e.path, template: &template) { template.backgrounds.append(background) }
        }
        for e in elements(object.take("dependencies"), path: "dependencies") {
            if let slot = slot(e.value, index: e.index, path: e.path, template: &template) { template.slots.append(slot) }
        }
        if let scenes = object.take("scenes") {
            let sceneElements = elements(scenes, path: "scenes")
            template.scenes.reserveCapacity(sceneElements.count)
            for e in sceneElements {
                // A scene that is not even an object keeps its place (without an id), so that
                // `template.scenes[i]` is always `scenes[i]` of the file.
                if let scene = scene(e.value, index: e.index, path: e.path, template: &template) {
                    template.scenes.append(scene)
                } else {
                    template.scenes.append(Scene(index: e.index, anchor: e.value.anchor))
                    template.unreadableIDs.formUnion([.scene, .sceneSlots])
                }
            }
            if case .array(let items) = scenes.kind, items.isEmpty {
                findings.error(.invalidValue, "a template needs at least one scene", path: "scenes", at: scenes.anchor)
            }
        } else {
            findings.error(.missingField, "the template has no \"scenes\"; a template needs at least one scene",
                           path: "scenes", at: root.anchor)
        }
        finish(&object, known: ["schema_version", "id", "name", "aspect_ratio", "models", "avatars", "backgrounds", "dependencies", "scenes"])
        return template
    }

    // MARK: Objects of template-v1

    private mutating func models(_ value: LocatedValue) -> [JobKind: Located<String>] {
        guard var object = object(value, path: "models", what: "models") else { return [:] }
        var result: [JobKind: Located<String>] = [:]
        for kind in JobKind.templateModelKeys {
            if let model = string(object.take(kind.rawValue), path: "models.\(kind.rawValue)") {
                result[kind] = model
            }
        }
        finish(&object, known: JobKind.templateModelKeys.map(\.rawValue))
        return result
    }

    private mutating func avatar(_ value: LocatedValue, index: Int, path: String, template: inout Template) -> Avatar? {
        guard var object = object(value, path: path, what: "an avatar") else { return nil }
        var avatar = Avatar(index: index)
        avatar.id = slug(object.take("id"), path: "\(path).id", required: true, parent: value.anchor, what: "avatar id")
        if avatar.id == nil { template.unreadableIDs.insert(.avatar) }
        avatar.image = string(object.take("image"), path: "\(path).image", required: true, parent: value.anchor)
        avatar.voice = string(object.take("voice"), path: "\(path).voice")
        finish(&object, known: ["id", "image", "voice"])
        return avatar
    }

    private mutating func background(_ value: LocatedValue, index: Int, path: String, template: inout Template) -> Background? {
        guard var object = object(value, path: path, what: "a background") else { return nil }
        var background = Background(index: index)
        background.id = slug(object.take("id"), path: "\(path).id", required: true, parent: value.anchor, what: "background id")
        if background.id == nil { template.unreadableIDs.insert(.background) }
        background.image = string(object.take("image"), path: "\(path).image", required: true, parent: value.anchor)
        finish(&object, known: ["id", "image"])
        return background
    }

    private mutating func slot(_ value: LocatedValue, index: Int, path: String, template: inout Template) -> Slot? {
        guard var object = object(value, path: path, what: "a dependency slot") else { return nil }
        var slot = Slot(index: index)
        if let type = object.take("type") {
            slot.type = enumeration(type, SlotType.self, path: "\(path).type")
        } else {
            missing("type", in: path, at: value.anchor)
        }
        slot.assetKey = slug(object.take("asset_key"), path: "\(path).asset_key", required: true, parent: value.anchor, what: "asset key")
        if slot.assetKey == nil { template.unreadableIDs.insert(.assetKey) }
        slot.min = integer(object.take("min"), path: "\(path).min", required: true, parent: value.anchor)
        slot.max = integer(object.take("max"), path: "\(path).max", required: true, parent: value.anchor)
        finish(&object, known: ["type", "asset_key", "min", "max"])
        return slot
    }

    private mutating func scene(_ value: LocatedValue, index: Int, path: String, template: inout Template) -> Scene? {
        guard var object = object(value, path: path, what: "a scene") else { return nil }
        var scene = Scene(index: index, anchor: value.anchor)
        scene.id = slug(object.take("id"), path: "\(path).id", required: true, parent: value.anchor, what: "scene id")
        if scene.id == nil { template.unreadableIDs.insert(.scene) }
        scene.avatar = string(object.take("avatar"), path: "\(path).avatar")
        scene.background = string(object.take("background"), path: "\(path).background")
        let dependencies = object.take("dependencies")
        if let dependencies, case .array = dependencies.kind {} else if dependencies != nil {
            template.unreadableIDs.insert(.sceneSlots)
        }
        for e in elements(dependencies, path: "\(path).dependencies") {
            if let key = string(e.value, path: e.path) { scene.dependencies.append(key) }
        }
        scene.prompt = string(object.take("prompt"), path: "\(path).prompt", limit: Self.maxTextLength)
        scene.speaking = boolean(object.take("speaking"), path: "\(path).speaking")
        scene.dialogue = string(object.take("dialogue"), path: "\(path).dialogue", limit: Self.maxTextLength)
        if let duration = object.take("duration_s") {
            if case .number(let seconds, _) = duration.kind {
                if seconds > 0 && seconds <= Self.maxSceneSeconds {
                    scene.durationSeconds = Located(seconds, anchor: duration.anchor)
                } else {
                    findings.error(.invalidValue, "duration_s must be greater than 0 and at most \(formatNumber(Self.maxSceneSeconds)) (an hour), not \(formatNumber(seconds))",
                                   path: "\(path).duration_s", at: duration.anchor)
                }
            } else {
                typeMismatch(duration, expected: "a number of seconds", path: "\(path).duration_s")
            }
        }
        if let spec = object.take("first_frame") {
            scene.firstFrame = frameSpec(spec, path: "\(path).first_frame")
        }
        if let spec = object.take("last_frame") {
            scene.lastFrame = frameSpec(spec, path: "\(path).last_frame")
        }
        if let audio = object.take("audio"), var audioObject = self.object(audio, path: "\(path).audio", what: "audio settings") {
            scene.audioModel = string(audioObject.take("model"), path: "\(path).audio.model")
            scene.audioVoice = string(audioObject.take("voice"), path: "\(path).audio.voice")
            finish(&audioObject, known: ["model", "voice"])
        }
        if let video = object.take("video"), var videoObject = self.object(video, path: "\(path).video", what: "video settings") {
            scene.videoModel = string(videoObject.take("model"), path: "\(path).video.model")
            finish(&videoObject, known: ["model"])
        }
        finish(&object, known: ["id", "avatar", "background", "dependencies", "prompt", "speaking", "dialogue",
                                "duration_s", "first_frame", "last_frame", "audio", "video"])
        return scene
    }

    /// Fields each frame source takes besides `source`.
    static let frameFields: [FrameSource: [String]] = [
        .generate: ["model", "prompt"],
        .firstFrameOf: ["scene"],
        .lastFrameOf: ["scene"],
        .cameraAngle: ["scene", "camera", "frame", "model"],
    ]

    private mutating func frameSpec(_ value: LocatedValue, path: String) -> FrameSpec? {
        guard var object = object(value, path: path, what: "a frame spec") else { return nil }
        guard let sourceValue = object.take("source") else {
            missing("source", in: path, at: value.anchor,
                    hint: "one of \(FrameSource.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            return nil
        }
        guard let source = enumeration(sourceValue, FrameSource.self, path: "\(path).source") else { return nil }
        var spec = FrameSpec(anchor: value.anchor, source: source.value, sourceAnchor: sourceValue.anchor)
        let fields = Self.frameFields[source.value]!
        if fields.contains("scene") {
            spec.scene = string(object.take("scene"), path: "\(path).scene", required: true, parent: value.anchor)
        }
        if fields.contains("camera") { spec.camera = string(object.take("camera"), path: "\(path).camera", limit: Self.maxTextLength) }
        if fields.contains("frame"), let frame = object.take("frame") {
            spec.frame = enumeration(frame, FrameSelector.self, path: "\(path).frame")
        }
        if fields.contains("model") { spec.model = string(object.take("model"), path: "\(path).model") }
        if fields.contains("prompt") { spec.prompt = string(object.take("prompt"), path: "\(path).prompt", limit: Self.maxTextLength) }
        // A field that belongs to another source is a likely mix-up: say so rather than "unknown".
        for member in object.remaining {
            let owners = FrameSource.allCases.filter { Self.frameFields[$0]!.contains(member.key) }
            if !owners.isEmpty {
                findings.error(.unknownField,
                               "field \"\(member.key)\" is not used with source \"\(source.value.rawValue)\"; it belongs to \(owners.map { "\"\($0.rawValue)\"" }.joined(separator: " or "))",
                               path: "\(path).\(member.key)", at: member.keyAnchor)
                object.markUsed(member.key)
            }
        }
        finish(&object, known: ["source"] + fields)
        return spec
    }

    // MARK: Typed readers

    private mutating func object(_ value: LocatedValue, path: String, what: String) -> ObjectFields? {
        guard case .object(let members) = value.kind else {
            typeMismatch(value, expected: "an object (\(what))", path: path)
            return nil
        }
        var fields = ObjectFields(members: members, path: path)
        for duplicate in fields.duplicates {
            findings.error(.duplicateKey, "field \"\(duplicate.key)\" is given more than once; the last one would silently win",
                           path: join(path, duplicate.key), at: duplicate.keyAnchor)
        }
        fields.duplicates = []
        return fields
    }

    /// The elements of an array with their paths; reports a non-array and returns none.
    private mutating func elements(_ value: LocatedValue?, path: String) -> [(value: LocatedValue, index: Int, path: String)] {
        guard let value else { return [] }
        guard case .array(let items) = value.kind else {
            typeMismatch(value, expected: "an array", path: path)
            return []
        }
        return items.enumerated().map { ($1, $0, "\(path)[\($0)]") }
    }

    /// Texts a person writes (prompts, dialogue, a camera, a name): no model takes more, and a
    /// megabyte prompt is a mistake, or hostile.
    static let maxTextLength = 10_000
    /// Everything else (paths, URLs, model ids, voices): a path is at most PATH_MAX.
    static let maxValueLength = 4_096

    private mutating func string(_ value: LocatedValue?, path: String, required: Bool = false,
                                 parent: SourceAnchor = .none, limit: Int = TemplateDecoder.maxValueLength) -> Located<String>? {
        guard let value else {
            if required { missing(lastComponent(path), in: parentPath(path), at: parent) }
            return nil
        }
        guard case .string(let s) = value.kind else {
            typeMismatch(value, expected: "a string", path: path)
            return nil
        }
        // Bytes bound characters from above, so the count is only taken for a long string.
        if s.utf8.count > limit, s.count > limit {
            findings.error(.invalidValue, "\"\(path)\" is \(s.count) characters long; it may be at most \(limit)",
                           path: path, at: value.anchor)
            return nil
        }
        // A long string gets a buffer of its own: the template then shares no memory with the
        // value tree, whose pages can all go back to the system once it is freed (a 100,000-
        // scene file's tree is over 100 MB). Short strings are stored inline anyway.
        return Located(s.utf8.count > 15 ? String(decoding: Array(s.utf8), as: UTF8.self) : s, anchor: value.anchor)
    }

    private mutating func slug(_ value: LocatedValue?, path: String, required: Bool, parent: SourceAnchor, what: String) -> Located<String>? {
        // The id rule says how long an id may be.
        guard let id = string(value, path: path, required: required, parent: parent, limit: .max) else { return nil }
        if let problem = Slug.problem(id.value) {
            findings.error(.invalidID, "\(what) \"\(Slug.shown(id.value))\" is not a valid id: \(problem)",
                           path: path, at: id.anchor, suggestion: Slug.suggest(id.value).map { "use \"\($0)\"" })
        }
        return id
    }

    private mutating func integer(_ value: LocatedValue?, path: String, required: Bool, parent: SourceAnchor) -> Located<Int>? {
        guard let value else {
            if required { missing(lastComponent(path), in: parentPath(path), at: parent) }
            return nil
        }
        guard case .number(let v, let isInteger) = value.kind, isInteger || v == v.rounded() else {
            typeMismatch(value, expected: "an integer", path: path)
            return nil
        }
        guard abs(v) < 1e15 else {
            findings.error(.invalidValue, "\"\(path)\" is \(formatNumber(v)), too large a number for a count", path: path, at: value.anchor)
            return nil
        }
        return Located(Int(v), anchor: value.anchor)
    }

    private mutating func boolean(_ value: LocatedValue?, path: String) -> Located<Bool>? {
        guard let value else { return nil }
        guard case .bool(let b) = value.kind else {
            typeMismatch(value, expected: "true or false", path: path)
            return nil
        }
        return Located(b, anchor: value.anchor)
    }

    private mutating func enumeration<E: RawRepresentable & CaseIterable & Sendable>(
        _ value: LocatedValue, _: E.Type, path: String
    ) -> Located<E>? where E.RawValue == String {
        // Spelled out only for a message: this runs for every frame of every scene.
        var allowed: [String] { E.allCases.map(\.rawValue) }
        var list: String { allowed.map { "\"\($0)\"" }.joined(separator: ", ") }
        guard case .string(let s) = value.kind else {
            // YAML reads an unquoted 9:16 as a sexagesimal integer: say what to write instead.
            typeMismatch(value, expected: "one of \(list) (a quoted string)", path: path)
            return nil
        }
        guard let e = E(rawValue: s) else {
            findings.error(.invalidValue, "\"\(s)\" is not one of \(list)\(Suggestions.didYouMean(s, in: allowed))",
                           path: path, at: value.anchor)
            return nil
        }
        return Located(e, anchor: value.anchor)
    }

    // MARK: Reporting

    private mutating func typeMismatch(_ value: LocatedValue, expected: String, path: String) {
        findings.error(.invalidType, "\(path.isEmpty ? "the file" : "\"\(path)\"") must be \(expected), not \(value.typeDescription)",
                       path: path, at: value.anchor)
    }

    private mutating func missing(_ field: String, in path: String, at anchor: SourceAnchor, hint: String? = nil) {
        let owner = path.isEmpty ? "the template" : path
        findings.error(.missingField, "\(owner) has no \"\(field)\"\(hint.map { "; it takes \($0)" } ?? "")",
                       path: join(path, field), at: anchor)
    }

    private mutating func finish(_ object: inout ObjectFields, known: [String]) {
        for member in object.remaining {
            findings.error(.unknownField,
                           "unknown field \"\(member.key)\"\(Suggestions.didYouMean(member.key, in: known))",
                           path: join(object.path, member.key), at: member.keyAnchor)
        }
    }

    private func join(_ path: String, _ key: String) -> String {
        let component = key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !key.isEmpty ? key : "[\"\(key)\"]"
        if path.isEmpty { return component }
        return component.hasPrefix("[") ? path + component : "\(path).\(component)"
    }

    private func lastComponent(_ path: String) -> String {
        String(path.split(separator: ".").last ?? Substring(path))
    }

    private func parentPath(_ path: String) -> String {
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return String(path[..<dot])
    }
}

/// "a", "a or b", "a, b or c".
func listing(_ items: [String], conjunction: String) -> String {
    guard items.count > 1 else { return items.first ?? "" }
    return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items.last!
}

public func formatNumber(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}

/// An object's members with the ones already read marked, so the rest can be reported as unknown.
struct ObjectFields {
    let path: String
    private var members: [LocatedValue.Member]
    private var used: [Bool]
    var duplicates: [LocatedValue.Member] = []

    init(members: [LocatedValue.Member], path: String) {
        self.path = path
        // Last one wins for lookups, as in JSONDecoder; earlier duplicates are reported. Objects
        // of template-v1 have a dozen fields at most: a linear scan beats hashing every key;
        // a hostile object with thousands of keys gets a dictionary.
        var unique: [LocatedValue.Member] = []
        unique.reserveCapacity(members.count)
        if members.count <= 32 {
            for member in members {
                if let index = unique.firstIndex(where: { $0.key == member.key }) {
                    duplicates.append(member)
                    unique[index] = member
                } else {
                    unique.append(member)
                }
            }
        } else {
            var seen: [String: Int] = [:]
            for member in members {
                if let index = seen[member.key] {
                    duplicates.append(member)
                    unique[index] = member
                } else {
                    seen[member.key] = unique.count
                    unique.append(member)
                }
            }
        }
        self.members = unique
        self.used = Array(repeating: false, count: unique.count)
    }

    mutating func take(_ key: String) -> LocatedValue? {
        for i in members.indices where members[i].key == key {
            used[i] = true
            return members[i].value
        }
        return nil
    }

    mutating func markUsed(_ key: String) {
        for i in members.indices where members[i].key == key { used[i] = true }
    }

    var remaining: [LocatedValue.Member] {
        members.indices.filter { !used[$0] }.map { members[$0] }
    }
}

/// The one id rule, for every id that becomes part of a path or a URL (templates, scenes,
/// avatars, backgrounds, asset keys, products): `[a-z0-9][a-z0-9_-]*`, at most 64 characters.
/// No `/`, `.`, `\\`, `%`, NUL or look-alike letter can pass, so an id is always a plain file name.
public enum Slug {
    public static let maxLength = 64

    public static func isValid(_ s: String) -> Bool { problem(s) == nil }

    /// Why `s` is not a valid id, or nil.
    public static func problem(_ s: String) -> String? {
        guard let first = s.utf8.first else { return "it is empty" }
        guard s.utf8.count <= maxLength else { return "it is \(s.utf8.count) bytes long; ids are at most \(maxLength) characters" }
        guard isLower(first) || isDigit(first),
              s.utf8.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else {
            return "ids are lowercase letters, digits, '_' and '-', starting with a letter or digit"
        }
        return nil
    }

    /// The id as it can be shown in a message: control characters escaped, long ones shortened.
    public static func shown(_ s: String) -> String {
        // Only the start is shown, so only the start is looked at (an id may be a megabyte).
        let escaped = s.unicodeScalars.prefix(81).map { $0.properties.generalCategory == .control || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return escaped.count > 80 ? String(escaped.prefix(77)) + "…" : escaped
    }

    /// `"Hook Scene"` → `"hook-scene"`.
    public static func suggest(_ s: String) -> String? {
        guard s.utf8.count <= 4 * maxLength else { return nil }
        let lowered = s.lowercased().map { c -> Character in
            (c.isASCII && (c.isLetter || c.isNumber)) || c == "_" || c == "-" ? c : "-"
        }
        let candidate = String(String(lowered).trimmingCharacters(in: "-_").prefix(maxLength)).trimmingCharacters(in: "-_")
        return isValid(candidate) ? candidate : nil
    }

    private static func isLower(_ b: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) }
    private static func isDigit(_ b: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
