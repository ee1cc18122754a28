import Foundation
import Synchronization

/// Keeps the server's own folders out of what it says (API contract, "Additions": no absolute
/// server path in any response, event or diagnostic).
///
/// Routes name files relative to the served folder or the workspace where they build a value;
/// this is the net under them: every JSON body (`JSONBody`) and every event line passes
/// through `scrub`, which writes a path inside the templates folder or the workspace relative
/// to it, and either folder itself by its last name. One server runs in a process, so the
/// folders are set once, when it starts.
enum ServedPaths {
    private static let roots = Mutex<[(prefix: [UInt8], name: [UInt8])]>([])

    /// The folders whose paths are written relative from now on (longest first, so a workspace
    /// inside the templates folder is matched as itself).
    static func configure(_ folders: [URL]) {
        var entries: [(prefix: [UInt8], name: [UInt8])] = []
        for folder in folders {
            for spelling in Set([folder.standardizedFileURL.path, folder.resolvingSymlinksInPath().standardizedFileURL.path]) where spelling.count > 1 {
                entries.append((Array(spelling.utf8), Array(folder.lastPathComponent.utf8)))
                // The same path as JSONSerialization writes it, with escaped slashes.
                entries.append((Array(spelling.replacingOccurrences(of: "/", with: "\\/").utf8), Array(folder.lastPathComponent.utf8)))
            }
        }
        entries.sort { $0.prefix.count > $1.prefix.count }
        roots.withLock { $0 = entries }
    }

    static func scrub(_ text: String) -> String {
        String(decoding: scrub(Array(text.utf8)), as: UTF8.self)
    }

    /// `bytes` with every occurrence of a configured folder replaced: `<folder>/x` → `x`,
    /// `<folder>` alone → its last name.
    static func scrub(_ bytes: [UInt8]) -> [UInt8] {
        let entries = roots.withLock { $0 }
        guard !entries.isEmpty, let first = bytes.firstIndex(of: UInt8(ascii: "/")) else { return bytes }
        var out: [UInt8] = []
        var i = first
        out.append(contentsOf: bytes[..<first])
        outer: while i < bytes.count {
            if bytes[i] == UInt8(ascii: "/") {
                for entry in entries where matches(bytes, at: i, entry.prefix) {
                    let end = i + entry.prefix.count
                    if end < bytes.count, bytes[end] == UInt8(ascii: "/") {
                        i = end + 1
                    } else if end + 1 < bytes.count, bytes[end] == UInt8(ascii: "\\"), bytes[end + 1] == UInt8(ascii: "/") {
                        i = end + 2
                    } else if end == bytes.count || !isPathByte(bytes[end]) {
                        out.append(contentsOf: entry.name)
                        i = end
                    } else {
                        continue  // a longer name that only starts the same
                    }
                    continue outer
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    private static func matches(_ bytes: [UInt8], at i: Int, _ prefix: [UInt8]) -> Bool {
        guard i + prefix.count <= bytes.count else { return false }
        for j in 0..<prefix.count where bytes[i + j] != prefix[j] { return false }
        return true
    }

    private static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), 0x80...0xFF: return true
        default: return false
        }
    }
}
