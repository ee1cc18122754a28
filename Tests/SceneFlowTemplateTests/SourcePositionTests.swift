import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

/// Positions are what an editor shows: 1-based lines and columns, columns in Unicode scalars,
/// a tab one column, CRLF one line end, in JSON and YAML alike.
@Suite(.timeLimit(.minutes(2))) struct SourcePositionTests {
    /// The position of the diagnostic with `code` in `text`.
    private func position(of code: DiagnosticCode, in text: String, name: String) throws -> (Int, Int) {
        let diagnostics = parse(text, name: name).validate()
        let d = try #require(diagnostics.first { $0.code == code }, "no \(code) in \(diagnostics.map(\.textLine))")
        return (try #require(d.line), try #require(d.column))
    }

    @Test func multiByteCharactersCountAsOneColumn() throws {
        // "é", "☕" (3 bytes) and "🎬" (4 bytes) before the bad value: 3 columns, 9 bytes.
        let text = "{\"schema_version\": 1, \"id\": \"x\", \"name\": \"é☕🎬\", \"scenes\": [{\"id\": \"a\", \"avatar\": \"ghost\"}]}"
        let column = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex,
                                                  to: text.range(of: "\"ghost\"")!.lowerBound.samePosition(in: text.unicodeScalars)!) + 1
        #expect(try position(of: .unknownAvatar, in: text, name: "t.json") == (1, column))
        #expect(column == 82)
    }

    @Test func tabsAreOneColumnAndCRLFEndsOneLine() throws {
        let json = "{\r\n\t\"schema_version\": 1,\r\n\t\"id\": \"x\",\r\n\t\"scenes\": [{\"id\": \"a\",\r\n\t\t\"avatar\": \"ghost\"}]\r\n}"
        #expect(try position(of: .unknownAvatar, in: json, name: "t.json") == (5, 13))
        let yaml = "schema_version: 1\r\nid: x\r\nscenes:\r\n  - id: a\r\n    avatar: ghost\r\n"
        #expect(try position(of: .unknownAvatar, in: yaml, name: "t.yaml") == (5, 13))
    }

    @Test func yamlColumnsCountScalarsLikeJSON() throws {
        let yaml = "schema_version: 1\nid: x\nname: \"é☕🎬\"\nscenes:\n  - {id: a, prompt: \"☕☕\", avatar: ghost}\n"
        // "  - {id: a, prompt: "☕☕", avatar: " is 34 scalars.
        #expect(try position(of: .unknownAvatar, in: yaml, name: "t.yaml") == (5, 35))
    }

    @Test func byteOrderMarkIsNotAColumn() throws {
        let json = "\u{FEFF}{\"schema_version\": 1, \"id\": \"x\", \"scenes\": [{\"id\": \"a\", \"avatar\": \"ghost\"}]}"
        #expect(try position(of: .unknownAvatar, in: json, name: "t.json") == (1, 67))
    }

    @Test func lineTableResolvesEveryOffsetOfAMixedFile() {
        let bytes = Array("ab\r\ncd\ne\rf☕g".utf8)
        let lines = LineTable(bytes: bytes)
        #expect(lines.position(ofOffset: 0) == SourcePosition(line: 1, column: 1))
        #expect(lines.position(ofOffset: 4) == SourcePosition(line: 2, column: 1))
        #expect(lines.position(ofOffset: 7) == SourcePosition(line: 3, column: 1))
        #expect(lines.position(ofOffset: 9) == SourcePosition(line: 4, column: 1))
        // "g" follows the 3-byte "☕": byte 13, column 3.
        #expect(lines.position(ofOffset: 13) == SourcePosition(line: 4, column: 3))
    }
}

@Suite(.timeLimit(.minutes(2))) struct JSONReaderTests {
    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONReader.read(Array(#"{"s": "a\"b\\c\/d\n\t\u00e9\ud83c\udfac"}"#.utf8))
        guard case .object(let members) = value.kind, case .string(let s) = members[0].value.kind else {
            Issue.record("not an object with a string"); return
        }
        #expect(s == "a\"b\\c/d\n\té🎬")
    }

    @Test func distinguishesIntegersFromNumbers() throws {
        let value = try JSONReader.read(Array("[5, 5.0, -0, 1e2, 12345678901]".utf8))
        guard case .array(let items) = value.kind else { Issue.record("not an array"); return }
        let flags = items.map { item -> Bool? in if case .number(_, let isInteger) = item.kind { return isInteger } else { return nil } }
        #expect(flags == [true, false, true, false, true])
    }

    @Test("malformed documents are syntax errors at the right place", arguments: [
        ("{\"a\": 1,}", 1, 9, "expected a quoted field name"),
        ("{\"a\": [1, 2}", 1, 12, "expected ',' or ']'"),
        ("{\"a\": tru}", 1, 7, "invalid literal"),
        ("{\"a\": 01}", 1, 7, "leading zeros"),
        ("{\"a\": \"x\u{0}y\"}", 1, 9, "NUL byte"),
        ("{\"a\": 1} {}", 1, 10, "after the end"),
        ("{\"a\": \"\\q\"}", 1, 8, "invalid escape"),
        ("{\"a\": \"\\ud800\"}", 1, 8, "unpaired"),
        ("{\"a\":\n  [1,\n", 3, 1, "truncated"),
        ("{'a': 1}", 1, 2, "quoted field name"),
    ])
    func syntaxErrors(_ text: String, _ line: Int, _ column: Int, _ fragment: String) {
        let diagnostics = parse(text).validate()
        #expect(diagnostics.count == 1)
        let d = diagnostics.first
        #expect(d?.line == line && d?.column == column, "\(d?.textLine ?? "none")")
        #expect(d?.message.contains(fragment) == true, "\(d?.message ?? "none")")
    }

    @Test func hostileInputsAreCleanErrors() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(parse(deep).validate().map(\.code) == [.nestingTooDeep])
        #expect(parse(deep, name: "deep.yaml").validate().map(\.code) == [.nestingTooDeep])
        let deepObjects = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(parse(deepObjects).validate().map(\.code) == [.nestingTooDeep])
        #expect(parse("").validate().map(\.code) == [.emptyFile])
        #expect(parse("   \n", name: "t.yaml").validate().map(\.code) == [.emptyFile])
        #expect(LoadedTemplate.parse(bytes: [0xFF, 0xFE, 0x00, 0x7B], path: "bin.json").validate().map(\.code) == [.invalidEncoding])
        #expect(LoadedTemplate.parse(bytes: [0x7B, 0x00, 0x7D], path: "nul.yaml").validate().map(\.code) == [.invalidEncoding])
    }

    @Test func aFiveMegabyteStringIsReadThenRefusedWhereItStands() throws {
        let big = String(repeating: "x", count: 5 << 20)
        let text = "{\"schema_version\": 1, \"id\": \"big\", \"name\": \"\(big)\", \"scenes\": [{\"id\": \"a\", \"speaking\": false}]}"
        let diagnostics = parse(text).validate()
        // The reader copes with it; the decoder refuses a name no one would write, at the name.
        #expect(diagnostics.map(\.code) == [.invalidValue])
        #expect(diagnostics.first?.path == "name" && diagnostics.first?.column == 44)
        #expect(diagnostics.first?.message.contains("may be at most 10000") == true)
        #expect(diagnostics.first.map { $0.message.utf8.count < 200 } == true, "the message does not repeat the value")
    }

    @Test func yamlAliasBombIsRefused() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let diagnostics = parse(yaml, name: "bomb.yaml").validate()
        #expect(diagnostics.map(\.code) == [.nestingTooDeep])
        // Few values but long scalars: refused by the scalar budget, not after resolving them all.
        var long = "a0: &a0 [\(String(repeating: "word ", count: 300))]\n"
        for i in 1...6 { long += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 8).joined(separator: ", ") + "]\n" }
        #expect(parse(long, name: "bomb.yaml").validate().map(\.code) == [.nestingTooDeep])
    }

    @Test func modestAnchorReuseStillWorks() {
        var yaml = "schema_version: 1\nid: t\nframe: &end {source: generate, prompt: \"the end\"}\nscenes:\n"
        for i in 0..<200 { yaml += "  - {id: s\(i), prompt: p, last_frame: *end}\n" }
        let diagnostics = parse(yaml, name: "anchors.yaml").validate()
        #expect(!diagnostics.contains { $0.code == .nestingTooDeep })
    }
}

@Suite(.timeLimit(.minutes(2))) struct FixtureFileTests {
    /// A file written with CRLF line ends, tabs and multi-byte text, byte for byte (.gitattributes
    /// keeps git from normalising it).
    @Test func crlfAndTabsFromADiskFile() throws {
        let url = try #require(Bundle.module.url(forResource: "crlf-tabs", withExtension: "json", subdirectory: "Fixtures"))
        let bytes = try InputFileError.readFile(url.path)
        #expect(bytes.contains(0x0D) && bytes.contains(0x09), "the fixture must keep its CRLF and tabs")
        let d = try #require(LoadedTemplate.parse(bytes: bytes, path: "crlf-tabs.json").validate().first)
        #expect(d.code == .unknownAvatar && d.line == 6 && d.column == 13)
    }
}

@Suite(.timeLimit(.minutes(2))) struct LineTableTests {
    /// The obvious way: walk from the start of the file.
    static func naive(_ bytes: [UInt8], _ offset: Int) -> SourcePosition {
        var line = 1, column = 1, i = LineTable.hasBOM(bytes) ? 3 : 0
        while i < offset {
            let b = bytes[i]
            if b == 0x0A || (b == 0x0D && !(i + 1 < bytes.count && bytes[i + 1] == 0x0A)) {
                line += 1; column = 1
            } else if b == 0x0D {
                // CR of a CRLF: the LF ends the line.
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return SourcePosition(line: line, column: column)
    }

    @Test func positionsAgreeWithAWalkFromTheStartOnLongLinesAndEveryLineEnd() {
        var rng = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [Array("a".utf8), Array("é".utf8), Array("🎬".utf8), [0x0A], [0x0D], [0x0D, 0x0A], [0x09], Array("{\"k\": 1}".utf8)]
        for length in [0, 1, 1023, 1024, 1025, 5000, 70_000] {
            var bytes: [UInt8] = Bool.random(using: &rng) ? [0xEF, 0xBB, 0xBF] : []
            while bytes.count < length {
                // Mostly long lines, like minified JSON.
                let piece = Int.random(in: 0..<100, using: &rng) < 97 ? pieces[Int.random(in: 0...2, using: &rng)] : pieces.randomElement(using: &rng)!
                bytes += piece
            }
            let table = LineTable(bytes: bytes)
            for _ in 0..<200 {
                var offset = Int.random(in: 0...bytes.count, using: &rng)
                while offset < bytes.count && bytes[offset] & 0xC0 == 0x80 { offset += 1 }  // anchors sit on scalar starts
                if LineTable.hasBOM(bytes) && offset < 3 { offset = 3 }
                // Nor between the CR and LF of a line end.
                if offset > 0 && offset < bytes.count && bytes[offset] == 0x0A && bytes[offset - 1] == 0x0D { offset += 1 }
                #expect(table.position(ofOffset: offset) == Self.naive(bytes, offset), "length \(length), offset \(offset)")
            }
        }
    }
}
