import Foundation

/// Generated templates shaped like real ones: a few avatars and backgrounds, product, logo and
/// size-reference slots, and scenes that mix fresh frames, continuity (`last_frame_of`), reuse
/// and camera-angle re-shoots, so every rule and every edge type does real work.
enum BenchTemplates {
    static func write(scenes: Int, into directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("bench-\(scenes).json")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        // Minimal PNGs: the validator sniffs content, not names.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 32)
        for name in ["a0", "a1", "a2", "b0", "b1", "b2"] {
            try Data(png).write(to: directory.appendingPathComponent("\(name).png"))
        }
        try Data(json(scenes: scenes).utf8).write(to: url)
        return url
    }

    static func json(scenes: Int) -> String {
        var out = """
        {"schema_version": 1, "id": "bench-\(scenes)", "aspect_ratio": "9:16",
         "avatars": [{"id": "a0", "image": "a0.png", "voice": "v0"}, {"id": "a1", "image": "a1.png"}, {"id": "a2", "image": "a2.png"}],
         "backgrounds": [{"id": "b0", "image": "b0.png"}, {"id": "b1", "image": "b1.png"}, {"id": "b2", "image": "b2.png"}],
         "dependencies": [{"type": "product_image", "asset_key": "product_1", "min": 1, "max": 1},
                          {"type": "logo", "asset_key": "logo", "min": 0, "max": 1},
                          {"type": "reference_image", "asset_key": "coin", "min": 0, "max": 1}],
         "scenes": [

        """
        out.reserveCapacity(scenes * 320)
        for i in 0..<scenes {
            let id = "s\(i)"
            var scene = "{\"id\": \"\(id)\", \"avatar\": \"a\(i % 3)\", \"background\": \"b\(i % 3)\", \"dependencies\": [\"product_1\"\(i % 4 == 0 ? ", \"logo\", \"coin\"" : "")], "
            scene += "\"prompt\": \"Scene \(i): the avatar shows the product to the camera\", "
            if i % 2 == 0 {
                scene += "\"dialogue\": \"Line \(i) of the script, spoken to camera.\", "
            } else {
                scene += "\"speaking\": false, "
            }
            switch i % 5 {
            case 1: scene += "\"first_frame\": {\"source\": \"last_frame_of\", \"scene\": \"s\(i - 1)\"}, "
            case 3: scene += "\"first_frame\": {\"source\": \"camera_angle\", \"scene\": \"s\(i - 1)\", \"camera\": \"close-up, from the left\"}, "
            case 4: scene += "\"first_frame\": {\"source\": \"first_frame_of\", \"scene\": \"s\(i - 4)\"}, "
            default: break
            }
            if i % 5 == 0 { scene += "\"last_frame\": {\"source\": \"generate\", \"prompt\": \"end state\"}, " }
            scene += "\"duration_s\": \(i % 3 == 0 ? 10 : 5)}"
            out += scene + (i == scenes - 1 ? "\n" : ",\n")
        }
        out += "]}\n"
        return out
    }
}
