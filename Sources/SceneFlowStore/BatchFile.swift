import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// `sceneflow batch --products FILE.csv`: a header `product_id,<asset_key>,...`, one row per
/// product; a cell holds a path (several separated by `;`, relative to the CSV file), and an
/// empty cell means "take this slot from the asset store". Spaces around header names and
/// cells are ignored.
public struct BatchFile: Sendable {
    public struct Product: Sendable {
        public var id: String
        /// 1-based line in the file.
        public var line: Int
        public var inputs: HydrationInputs
    }

    public var path: String
    public var products: [Product]

    /// Reads and checks the whole file against the template before anything runs: unknown or
    /// repeated columns, a missing `product_id`, product ids that break the id rule or repeat,
    /// and each product's inputs (slot counts, files, types, images by content). Every problem
    /// is a diagnostic at the line where its row starts.
    public static func read(path: String, loaded: LoadedTemplate, template: Template,
                            database: (any AssetStore)?) throws -> (BatchFile, [Diagnostic]) {
        let bytes = try InputFileError.readFile(path, limit: 64 << 20)
        let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        var diagnostics: [Diagnostic] = []
        func error(_ code: DiagnosticCode, _ message: String, line: Int, column: String, suggestion: String? = nil) {
            diagnostics.append(Diagnostic(.error, code, message, path: column, file: path,
                                          position: SourcePosition(line: line, column: 1), suggestion: suggestion))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            error(.invalidEncoding, "the file is not UTF-8 text", line: 1, column: "")
            return (BatchFile(path: path, products: []), diagnostics)
        }
        let records: [CSVReader.Record]
        do { records = try CSVReader.records(text) } catch let failure as CSVReader.Failure {
            error(.syntaxError, "not a readable CSV file: \(failure.description)", line: failure.line, column: "")
            return (BatchFile(path: path, products: []), diagnostics)
        }
        guard let headerRecord = records.first else {
            error(.emptyFile, "the file is empty; it needs a header `product_id,<asset_key>,...` and a row per product", line: 1, column: "")
            return (BatchFile(path: path, products: []), diagnostics)
        }
        let header = headerRecord.cells.map { $0.trimmingCharacters(in: .whitespaces) }
        let context = ValidationContext(template: template, registry: .standard, templateDirectory: loaded.directory)
        let slotKeys = Set(context.slotByKey.keys)
        if !header.contains("product_id") {
            error(.missingField, "the header has no \"product_id\" column; the first column names each product", line: headerRecord.line, column: "product_id")
        }
        var seenColumns = Set<String>()
        for column in header {
            if !seenColumns.insert(column).inserted {
                error(.duplicateKey, "column \"\(Slug.shown(column))\" appears twice in the header", line: headerRecord.line, column: column)
            } else if column != "product_id" && !slotKeys.contains(column) {
                error(.unknownSlot, "column \"\(Slug.shown(column))\" is not a slot of the template\(Suggestions.didYouMean(column, in: slotKeys))",
                      line: headerRecord.line, column: column, suggestion: "slots: \(slotKeys.sorted().joined(separator: ", "))")
            }
        }
        guard !diagnostics.hasErrors else { return (BatchFile(path: path, products: []), diagnostics) }

        var products: [Product] = []
        var firstLine: [String: Int] = [:]
        for record in records.dropFirst() {
            let line = record.line
            var row: [String: String] = [:]
            for (i, column) in header.enumerated() where i < record.cells.count { row[column] = record.cells[i].trimmingCharacters(in: .whitespaces) }
            if record.cells.count > header.count {
                error(.invalidValue, "the row has \(record.cells.count) cells for \(header.count) columns", line: line, column: "")
                continue
            }
            let id = row["product_id"] ?? ""
            guard !id.isEmpty else {
                error(.missingField, "row has no product id", line: line, column: "product_id")
                continue
            }
            if let problem = Slug.problem(id) {
                error(.invalidID, "product id \"\(Slug.shown(id))\" is not a valid id: \(problem)", line: line, column: "product_id",
                      suggestion: Slug.suggest(id).map { "use \"\($0)\"" })
                continue
            }
            if let earlier = firstLine[id] {
                error(.duplicateID, "product \"\(id)\" is listed twice; it is first on line \(earlier)", line: line, column: "product_id")
                continue
            }
            firstLine[id] = line
            var inputs = HydrationInputs()
            inputs.productID = id
            for key in header where key != "product_id" {
                let cell = row[key] ?? ""
                for file in cell.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !file.isEmpty {
                    let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : base.appendingPathComponent(file)
                    inputs.files.append(.init(key: key, path: file, url: url.standardizedFileURL,
                                              origin: .inputsFile(path: path, jsonPath: "line \(line), \(key)", anchor: .none)))
                }
            }
            // Slots without a cell (empty, or no column) come from the store, if it has them.
            let explicit = Set(inputs.files.map(\.key))
            if let database {
                do {
                    let stored = try database.hydrationInputs(product: id, except: explicit, requireAssets: false)
                    inputs.files += stored.files.filter { !explicit.contains($0.key) }
                    inputs.storedReplacements = stored.storedReplacements
                } catch let failure {
                    error(.assetNotFound, "product \"\(id)\": the asset store cannot be read: \(failure)", line: line, column: "product_id")
                }
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
        if records.count < 2 { error(.missingField, "the file lists no products", line: headerRecord.line + 1, column: "product_id") }
        return (BatchFile(path: path, products: products), diagnostics)
    }
}
