import Foundation
import SceneFlowBasics

/// The two output forms of `sceneflow validate` (CLI contract, "Diagnostics").
public enum DiagnosticReport {
    /// One compiler-style line per diagnostic, sorted by position.
    public static func text(_ diagnostics: [Diagnostic]) -> String {
        Diagnostic.sortedByPosition(diagnostics).map(\.textLine).joined(separator: "\n")
    }

    /// `{"valid": Bool, "diagnostics": [...]}`.
    public static func json(_ diagnostics: [Diagnostic]) -> String {
        struct Body: Encodable {
            var valid: Bool
            var diagnostics: [Diagnostic]
        }
        let body = Body(valid: !diagnostics.hasErrors, diagnostics: Diagnostic.sortedByPosition(diagnostics))
        return String(decoding: try! JSONCoding.pretty.encode(body), as: UTF8.self)
    }
}
