/// RFC 4180 CSV with the line each record starts on, so that a problem in a batch file points at
/// the line a user sees in an editor (a quoted cell may span lines). Commas separate, double
/// quotes quote (`""` is a quote inside), CRLF or LF end records, a UTF-8 byte-order mark is
/// skipped. Hand-written because the CSV packages on hand report no line numbers.
struct CSVReader {
    struct Record {
        /// 1-based line of the record's first character.
        var line: Int
        var cells: [String]
    }

    struct Failure: Error, CustomStringConvertible {
        var line: Int
        var description: String
    }

    static func records(_ text: String) throws -> [Record] {
        var records: [Record] = []
        var cells: [String] = []
        var cell = ""
        var line = 1, recordLine = 1
        var quoted = false, wasQuoted = false
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0
        func endRecord() {
            cells.append(cell)
            if !(cells.count == 1 && cells[0].isEmpty && !wasQuoted) { records.append(Record(line: recordLine, cells: cells)) }
            cells = []; cell = ""; wasQuoted = false
        }
        while i < scalars.count {
            let c = scalars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" { cell.unicodeScalars.append("\""); i += 1 } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    cell.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"":
                    guard cell.isEmpty else { throw Failure(line: line, description: "a quote inside an unquoted cell; quote the whole cell") }
                    quoted = true; wasQuoted = true
                case ",":
                    cells.append(cell); cell = ""
                case "\r" where i + 1 < scalars.count && scalars[i + 1] == "\n":
                    break
                case "\n":
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    cell.unicodeScalars.append(c)
                }
            }
            i += 1
        }
        if quoted { throw Failure(line: recordLine, description: "a quoted cell is never closed") }
        if !cell.isEmpty || !cells.isEmpty || wasQuoted { endRecord() }
        return records
    }
}
