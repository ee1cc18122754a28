import Foundation

/// Generated templates of any size and shape, for property tests and benchmarks: not only the
/// samples we wrote by hand. Every template it makes is valid (its references point at earlier
/// scenes, a scene opened on another's last frame has one to open on, durations fit the
/// models), so what a test finds is SceneFlow's problem, not the generator's.
public enum TemplateFactory {
    public enum Shape: String, CaseIterable, Sendable, Codable {
        /// The benchmark's: fresh frames, continuity, camera angles and reuse in a fixed rhythm.
        case bench
        /// Every scene with a last frame, every fourth opening on the previous scene's last frame,
        /// some reusing scene 1's first frame, some camera-angle re-shoots.
        case chain
        /// Every choice drawn at random: frame sources (first or last frame re-shot), slots,
        /// speaking and silent scenes, frame models, durations.
        case random
    }

    public enum Format: String, CaseIterable, Sendable, Codable { case json, yaml }

    /// Writes the images a generated template refers to (real PNGs) and the template itself.
    public static func write(scenes: Int, shape: Shape, seed: UInt64 = 1, format: Format = .json, into directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (i, name) in ["a0", "a1", "a2", "b0", "b1", "b2"].enumerated() {
            let url = directory.appendingPathComponent("\(name).png")
            if !FileManager.default.fileExists(atPath: url.path) {
                try Data(TestImages.png(width: 24, height: 32, rgb: (UInt8(40 * i), 120, UInt8(255 - 40 * i)))).write(to: url)
            }
        }
        let url = directory.appendingPathComponent("\(shape.rawValue)-\(scenes)-\(seed).\(format.rawValue)")
        try Data(text(scenes: scenes, shape: shape, seed: seed, format: format).utf8).write(to: url)
        return url
    }

    /// The product images a generated template's slots take, as `--asset` arguments.
    public static func assets(in directory: URL) throws -> [String] {
        let product = directory.appendingPathComponent("product.png")
        if !FileManager.default.fileExists(atPath: product.path) {
            try Data(TestImages.png(width: 16, height: 16, rgb: (200, 60, 30))).write(to: product)
        }
        return ["product_1=\(product.path)"]
    }

    public static func text(scenes: Int, shape: Shape, seed: UInt64 = 1, format: Format = .json) -> String {
        var rng = SplitMix64(seed: seed)
        var lines: [String] = []
        var hasLast = [Bool]()
        for i in 0..<scenes {
            var fields: [(String, String)] = [("id", quote("s\(i)"))]
            var deps = ["product_1"]
            var avatar: String? = "a\(i % 3)", background: String? = "b\(i % 3)"
            var speaking = i % 2 == 0
            var first = ""
            var last = false
            var duration = i % 3 == 0 ? 10 : 5
            switch shape {
            case .bench:
                if i % 4 == 0 { deps += ["logo", "coin"] }
                switch i % 5 {
                case 1 where i >= 1: first = frame("last_frame_of", scene: i - 1)
                case 3 where i >= 1: first = frame("camera_angle", scene: i - 1, camera: "close-up, from the left")
                case 4 where i >= 4: first = frame("first_frame_of", scene: i - 4)
                default: break
                }
                last = i % 5 == 0
                if i % 5 == 1 && !hasLast[i - 1] { first = "" }
            case .chain:
                last = true
                if i > 0 && i % 4 == 0 { first = frame("last_frame_of", scene: i - 1) }
                else if i > 1 && i % 7 == 3 { first = frame("first_frame_of", scene: 0) }
                else if i > 0 && i % 6 == 5 { first = frame("camera_angle", scene: i - 1, camera: "wide shot from the right", last: i % 12 == 11) }
            case .random:
                if rng.chance(0.2) { avatar = nil }
                if rng.chance(0.2) { background = nil }
                deps = ["product_1", "logo", "coin", "demo"].filter { $0 == "product_1" || rng.chance(0.3) }
                speaking = rng.chance(0.5)
                last = rng.chance(0.4)
                duration = rng.chance(0.5) ? 5 : 10
                if i > 0 {
                    let j = Int(rng.next() % UInt64(i))
                    switch rng.next() % 5 {
                    case 0: if hasLast[j] { first = frame("last_frame_of", scene: j) }
                    case 1: first = frame("first_frame_of", scene: j)
                    case 2: first = frame("camera_angle", scene: j, camera: ["close-up", "wide shot", "low angle from the left", "overhead"][Int(rng.next() % 4)],
                                       last: hasLast[j] && rng.chance(0.5))
                    default: break
                    }
                }
            }
            // As a user writes it once `slot-not-used` says so: a scene whose frames are all
            // reused, continued or re-shot lists no image slot (nothing of it could read one).
            if !first.isEmpty && !last { deps = deps.filter { $0 == "demo" } }
            if let avatar { fields.append(("avatar", quote(avatar))) }
            if let background { fields.append(("background", quote(background))) }
            fields.append(("dependencies", "[" + deps.map(quote).joined(separator: ", ") + "]"))
            fields.append(("prompt", quote("Scene \(i): the avatar shows the product to the camera")))
            if speaking { fields.append(("dialogue", quote("Line \(i) of the script, spoken to camera."))) } else { fields.append(("speaking", "false")) }
            if !first.isEmpty { fields.append(("first_frame", first)) }
            if last {
                let model = shape == .random && rng.chance(0.3) ? ", \"model\": \"fal-ai/nano-banana/edit\"" : ""
                fields.append(("last_frame", "{\"source\": \"generate\", \"prompt\": \"end of scene \(i)\"\(model)}"))
            }
            fields.append(("duration_s", String(duration)))
            hasLast.append(last)
            lines.append("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        }
        let header = """
        "schema_version": 1, "id": "\(shape.rawValue)-\(scenes)", "aspect_ratio": "9:16",
        "avatars": [{"id": "a0", "image": "a0.png", "voice": "v0"}, {"id": "a1", "image": "a1.png"}, {"id": "a2", "image": "a2.png"}],
        "backgrounds": [{"id": "b0", "image": "b0.png"}, {"id": "b1", "image": "b1.png"}, {"id": "b2", "image": "b2.png"}],
        "dependencies": [{"type": "product_image", "asset_key": "product_1", "min": 1, "max": 1},
                         {"type": "logo", "asset_key": "logo", "min": 0, "max": 1},
                         {"type": "reference_image", "asset_key": "coin", "min": 0, "max": 1},
                         {"type": "product_video", "asset_key": "demo", "min": 0, "max": 1}],
        "scenes": [
        """
        let json = "{" + header + "\n" + lines.joined(separator: ",\n") + "\n]}\n"
        // JSON is YAML's flow style: a YAML file of the same template, with a YAML header line.
        return format == .json ? json : "# generated template (YAML flow style)\n" + json
    }

    static func quote(_ s: String) -> String { "\"\(s)\"" }

    static func frame(_ source: String, scene: Int, camera: String? = nil, last: Bool = false) -> String {
        var parts = ["\"source\": \"\(source)\"", "\"scene\": \"s\(scene)\""]
        if let camera { parts.append("\"camera\": \"\(camera)\"") }
        if last { parts.append("\"frame\": \"last\"") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}

/// A small, fast, seeded random number generator (SplitMix64): the same seed, the same template.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) / 10_000 < p }
}

/// Valid PNG files made in memory (stored deflate blocks, real CRCs).
public enum TestImages {
    public static func png(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8)) -> [UInt8] {
        var raw: [UInt8] = []
        for _ in 0..<height {
            raw.append(0)
            for _ in 0..<width { raw += [rgb.0, rgb.1, rgb.2] }
        }
        // zlib with stored (uncompressed) blocks of at most 65,535 bytes.
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65_535, raw.count - offset)
            let final: UInt8 = offset + n == raw.count ? 1 : 0
            zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[offset..<offset + n]
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        zlib += be((b << 16) | a)
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", be(UInt32(width)) + be(UInt32(height)) + [8, 2, 0, 0, 0]) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    static func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        var c: UInt32 = 0xFFFF_FFFF
        for byte in body {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return be(UInt32(data.count)) + body + be(~c)
    }
}
