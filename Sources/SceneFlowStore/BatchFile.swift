import Foundation
import SceneFlowCore
import SwiftCSV

/// `sceneflow batch --products FILE.csv`: a header `product_id,<asset_key>,...`, one row per
/// product; a cell holds a path (several separated by `;`, relative to the CSV file), and an
/// empty cell means "take this slot from the asset store".
public struct BatchFile: Sendable {
    public struct Product: Sendable {
        public var id: String
        /// 1-based line in the file.
        public var line: Int
        public var inputs: HydrationInputs
    }

    public var path: String
    public var products: [Product]

    /// Reads and checks the whole file against the template before anything runs: unknown
    /// columns, a missing `product_id`, duplicate or empty product ids, and each product's
    /// inputs (slot counts, files, types). Every problem is a located diagnostic.
    public static func read(path: String, loaded: LoadedTemplate, template: Template,
                            database: WorkspaceDatabase?) throws -> (BatchFile, [Diagnostic]) {
        let bytes = try InputFileError.readFile(path)
        let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        var diagnostics: [Diagnostic] = []
        func error(_ code: DiagnosticCode, _ message: String, line: Int, column: String, suggestion: String? = nil) {
            diagnostics.append(Diagnostic(.error, code, message, path: column, file: path,
                                          position: SourcePosition(line: line, column: 1), suggestion: suggestion))
        }
        let csv: CSV<Named>
        do {
            csv = try CSV<Named>(string: String(decoding: bytes, as: UTF8.self), delimiter: .comma, loadColumns: false)
        } catch let parseError {
            error(.syntaxError, "not a readable CSV file: \(parseError)", line: 1, column: "")
            return (BatchFile(path: path, products: []), diagnostics)
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        let context = ValidationContext(template: template, registry: .standard, templateDirectory: loaded.directory)
        let slotKeys = Set(context.slotByKey.keys)
        if !header.contains("product_id") {
            error(.missingField, "the header has no \"product_id\" column; the first column names each product", line: 1, column: "product_id")
        }
        for column in header where column != "product_id" && !slotKeys.contains(column) {
            error(.unknownSlot, "column \"\(column)\" is not a slot of the template\(Suggestions.didYouMean(column, in: slotKeys))",
                  line: 1, column: column, suggestion: "slots: \(slotKeys.sorted().joined(separator: ", "))")
        }
        guard !diagnostics.hasErrors else { return (BatchFile(path: path, products: []), diagnostics) }

        var products: [Product] = []
        var firstLine: [String: Int] = [:]
        for (index, row) in csv.rows.enumerated() {
            let line = index + 2
            let id = (row["product_id"] ?? "").trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else {
                error(.missingField, "row has no product id", line: line, column: "product_id")
                continue
            }
            if let earlier = firstLine[id] {
                error(.duplicateID, "product \"\(id)\" is listed twice; it is first on line \(earlier)", line: line, column: "product_id")
                continue
            }
            firstLine[id] = line
            var inputs = HydrationInputs()
            inputs.productID = id
            var fromStore: [String] = []
            for key in header where key != "product_id" {
                let cell = (row[key] ?? "").trimmingCharacters(in: .whitespaces)
                if cell.isEmpty { fromStore.append(key); continue }
                for file in cell.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !file.isEmpty {
                    let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : base.appendingPathComponent(file)
                    inputs.files.append(.init(key: key, path: file, url: url.standardizedFileURL,
                                              origin: .inputsFile(path: path, jsonPath: "line \(line), \(key)", anchor: .none)))
                }
            }
            // Slots without a cell (empty, or no column) come from the store, if it has them.
            let explicit = Set(inputs.files.map(\.key))
            if let database, let stored = try? database.hydrationInputs(product: id, except: explicit) {
                inputs.files += stored.files.filter { !explicit.contains($0.key) }
            }
            let found = InputValidator().validate(inputs, InputContext(loaded: loaded, template: template))
            diagnostics += found.map { d in
                var d = d
                d.message = "product \"\(id)\": " + d.message
                // Whatever the rule located (a slot of the template, an argument), the row is
                // what the user edits.
                d.file = path; d.line = line; d.column = 1
                return d
            }
            products.append(Product(id: id, line: line, inputs: inputs))
        }
        if csv.rows.isEmpty { error(.missingField, "the file lists no products", line: 2, column: "product_id") }
        return (BatchFile(path: path, products: products), diagnostics)
    }
}
