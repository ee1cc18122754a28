import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Errors said as a person reads them: what went wrong with which file, never Foundation's
/// domains, codes, `UserInfo` dumps or the temporary folders a file passed through. Every
/// message that reaches a report, a page, an API answer or the terminal and comes from an
/// error SceneFlow did not make itself goes through `describe`.
public enum ErrorText {
    /// A short reason for `error`: "no such file", "permission denied", "the disk is full"...
    /// SceneFlow's own errors keep their description.
    public static func describe(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return sentence(errno: posix.code.rawValue) }
        let ns = error as NSError
        switch ns.domain {
        case NSPOSIXErrorDomain:
            return sentence(errno: Int32(ns.code)) + named(ns)
        case NSCocoaErrorDomain:
            if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                return sentence(errno: Int32(underlying.code)) + named(ns)
            }
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file" + named(ns)
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied" + named(ns)
            case .fileWriteOutOfSpace: return "the disk is full" + named(ns)
            case .fileWriteVolumeReadOnly: return "the disk is read-only" + named(ns)
            case .fileWriteFileExists: return "a file is already there" + named(ns)
            case .fileReadCorruptFile: return "the file is damaged or not in the expected format" + named(ns)
            case .fileReadTooLarge: return "the file is too large" + named(ns)
            case .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding: return "the file is not text in a known encoding" + named(ns)
            case .coderReadCorrupt, .coderValueNotFound, .coderInvalidValue: return "the data is damaged or not in the expected format"
            default: return readable(ns)
            }
        default:
            // SceneFlow's own errors, and other Swift errors: their own words.
            if let own = error as? any CustomStringConvertible { return scrubbed(own.description) }
            return scrubbed(String(describing: error))
        }
    }

    /// Foundation's own words for an error, or its code where it has none.
    private static func readable(_ error: NSError) -> String {
        let text = scrubbed(error.localizedDescription).trimmingCharacters(in: .whitespaces)
        return text.isEmpty || text.contains("(null)") ? "a file operation failed (code \(error.code))" + named(error) : text
    }

    /// `strerror`, lowercased as the middle of a sentence.
    public static func sentence(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }

    /// " (name.png)" for an error about a file, by its last name only.
    private static func named(_ error: NSError) -> String {
        let path = error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        guard let path, !path.isEmpty else { return "" }
        return " (\(URL(fileURLWithPath: path).lastPathComponent))"
    }

    /// Text with Foundation's error dumps cut out: `Error Domain=… Code=… "message" UserInfo={…}`
    /// becomes the message alone.
    public static func scrubbed(_ text: String) -> String {
        guard text.contains("Error Domain=") else { return text }
        let pattern = #"Error Domain=\S+ Code=-?\d+ (?:"((?:[^"\\]|\\.)*)")?(?: UserInfo=\{[^}]*\})?"#
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return text }
        var result = text
        for match in expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let whole = Range(match.range, in: result) else { continue }
            let message = Range(match.range(at: 1), in: text).map { String(text[$0]) } ?? "a file operation failed"
            result.replaceSubrange(whole, with: message)
        }
        return result
    }
}
