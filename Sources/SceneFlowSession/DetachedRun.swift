import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// A run put in a team's queue (`run --detach`, `batch --detach`, `serve` in team mode): what a
/// worker on any host needs to hydrate it, with every file the run reads stored by content in
/// the team's shared bytes (the template itself, the images it names, the product's files, the
/// replacements and the music bed). The queue job's payload is this, as JSON.
///
/// The run is pinned when it is submitted: it hydrates the bytes the submitter had, whatever
/// happens to the files or the asset store afterwards. A worker fetches each file by its digest
/// and checks it before the run reads it.
public struct DetachedRun: Codable, Sendable, Equatable {
    /// A file in the shared bytes, named `<sha256>.<ext>`.
    public struct Blob: Codable, Sendable, Equatable {
        public var sha256: String
        public var ext: String
        /// The file's name as the user gave it (for messages).
        public var name: String

        public var blobName: String { "\(sha256).\(ext)" }
    }

    public struct AssetInput: Codable, Sendable, Equatable {
        public var key: String
        /// The path as the user wrote it.
        public var path: String
        /// The product whose stored file it is (nil: named on the command line).
        public var product: String?
        public var blob: Blob
    }

    /// How the run is made, as the submitter asked.
    public struct Settings: Codable, Sendable, Equatable {
        public var offline = false
        public var retries = 3
        public var resolution = 720
        public var failFast = false
        public var prompts: [String: String] = [:]
        public var seeds: [String: Int] = [:]
        public var variations = 1
        public var burnCaptions = false
        public var captionFiles = true
        /// US dollars in micros (`--max-cost`), checked by the worker against what would run.
        public var budgetMicros: Int64?
        public init() {}
    }

    public var version = 1
    public var runID: String
    /// The template's path on the submitting host, shown as `host:/path`.
    public var templatePath: String
    public var templateFile: Blob
    /// Images the template names by relative path, by that path.
    public var templateImages: [String: Blob]
    public var productID: String?
    public var assets: [AssetInput]
    /// Images replacing avatars and backgrounds, by node id.
    public var replacements: [String: Blob]
    public var music: Blob?
    public var targets: [String]
    public var regenerate: [String]
    public var settings: Settings
    public var submittedBy: String
    public var submittedAt: Date

    /// The largest payload a worker decodes (a template's text is in the shared bytes, not here).
    public static let maxPayloadBytes = 4 << 20

    // MARK: Submitting

    /// Stores every file `request` reads in `blobs` (each hashed as it is copied, so the name
    /// always matches the bytes stored) and describes the run. Throws, naming the file, when one
    /// cannot be read or stored.
    public static func pack(_ request: HydrationRequest, blobs: any BlobStore, scratch: URL) throws -> DetachedRun {
        let checked = request.template
        func store(_ url: URL, name: String) throws -> Blob {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let temporary = scratch.appendingPathComponent(".detach-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: temporary) }
            let sha256: String
            do { sha256 = try FileCopy.copyHashing(url, to: temporary) } catch {
                throw DetachError("\(name) cannot be read: \(error)")
            }
            let blob = Blob(sha256: sha256, ext: Self.extensionName(url), name: name)
            do {
                // Bytes already there are checked: damaged ones are replaced, never kept.
                if try blobs.contains(blob.blobName), try !blobs.verify(blob.blobName, sha256: sha256) { try blobs.remove(blob.blobName) }
                _ = try blobs.publish(temporary, as: blob.blobName)
            } catch {
                throw DetachError("\(name) could not be stored in the team's shared bytes: \(error)")
            }
            return blob
        }
        var images: [String: Blob] = [:]
        for node in checked.graph.nodes where node.kind == .avatar || node.kind == .background {
            guard let reference = node.input, images[reference] == nil,
                  case .file(let url) = ImageReference.resolve(reference, templateDirectory: checked.loaded.directory) else { continue }
            images[reference] = try store(url, name: reference)
        }
        var assets: [AssetInput] = []
        for file in request.inputs.files {
            var product: String?
            if case .store(let id) = file.origin { product = id }
            assets.append(AssetInput(key: file.key, path: file.path, product: product, blob: try store(file.url, name: file.path)))
        }
        var replacements: [String: Blob] = [:]
        for (node, url) in request.replacements.sorted(by: { $0.key < $1.key }) {
            replacements[node] = try store(url, name: "\(node) (\(url.lastPathComponent))")
        }
        var settings = Settings()
        settings.offline = request.options.offline
        settings.retries = request.options.retry.retries
        settings.resolution = request.options.resolution
        settings.failFast = request.options.failFast
        settings.prompts = request.options.prompts
        settings.seeds = request.options.seeds
        settings.variations = request.options.variations
        settings.burnCaptions = request.burnCaptions
        settings.captionFiles = request.captionFiles
        settings.budgetMicros = request.budget?.micros
        let host = Workspace.hostName
        return DetachedRun(
            runID: request.runID, templatePath: "\(host):\(checked.loaded.url.standardizedFileURL.path)",
            templateFile: try store(checked.loaded.url, name: checked.loaded.url.lastPathComponent), templateImages: images,
            productID: request.inputs.productID, assets: assets, replacements: replacements,
            music: try request.music.map { try store(URL(fileURLWithPath: $0), name: $0) },
            targets: request.targets, regenerate: request.regenerate, settings: settings, submittedBy: host, submittedAt: Date())
    }

    /// The report a queued run has until a worker takes it: every node pending, status `queued`.
    public func queuedReport(_ checked: CheckedTemplate) -> RunReport {
        var recorder = RunRecorder(runID: runID, template: reference(checked), graph: checked.graph, folder: nil, indexDirectory: nil)
        recorder.offline = settings.offline
        recorder.productID = productID
        var report = recorder.report(finished: false)
        report.status = .queued
        report.startedAt = submittedAt
        return report
    }

    func reference(_ checked: CheckedTemplate) -> TemplateReference {
        var reference = checked.reference
        reference.path = templatePath
        return reference
    }

    static func extensionName(_ url: URL) -> String {
        let ext = url.pathExtension.lowercased()
        return !ext.isEmpty && ext.count <= 8 && ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? ext : "bin"
    }

    /// A run id as SceneFlow makes them (`20261202-155457-60954345`, a batch's with `-PRODUCT`):
    /// plain characters only, so it is safe as a folder name.
    public static func isRunID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 200 && !id.hasPrefix(".") && !id.hasPrefix("-") && !id.contains("..")
            && id.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    // MARK: Taking it on (a worker)

    public static func decode(_ payload: String) throws -> DetachedRun {
        guard payload.utf8.count <= maxPayloadBytes else { throw DetachError("the queued run's description is \(payload.utf8.count) bytes; at most \(maxPayloadBytes) are read") }
        do { return try JSONCoding.decoder.decode(DetachedRun.self, from: Data(payload.utf8)) } catch {
            throw DetachError("the queued run's description cannot be read: \(error)")
        }
    }

    public func encoded() throws -> String {
        String(decoding: try JSONCoding.compact.encode(self), as: UTF8.self)
    }

    /// The hydration request on this host: every file fetched from `blobs` and checked against
    /// its digest, the template and its images written into `folder` (a folder of this run's
    /// own), the template reloaded and checked there.
    /// A fetched copy whose bytes are not what their name promises is removed when it lies under
    /// `localCopies` (this host's read-through copies), so that a repaired store is read again.
    public func request(blobs: any BlobStore, folder: URL, localCopies: URL? = nil) throws -> HydrationRequest {
        guard version == 1 else {
            throw DetachError("the queued run was written by a newer SceneFlow (description version \(version)); upgrade this worker", transient: true)
        }
        guard Self.isRunID(runID) else { throw DetachError("the queued run's id \(Slug.shown(runID)) is not a run id") }
        guard (64...4096).contains(settings.resolution), (0...100).contains(settings.retries), (1...8).contains(settings.variations),
              (settings.budgetMicros ?? 0) >= 0, settings.seeds.values.allSatisfy({ (0...Int(UInt32.max)).contains($0) }) else {
            throw DetachError("the queued run's settings are out of range (resolution \(settings.resolution), retries \(settings.retries), variations \(settings.variations))")
        }
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func fetch(_ blob: Blob) throws -> URL {
            guard blob.sha256.count == 64, blob.sha256.allSatisfy(\.isHexDigit), blob.ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw DetachError("\(blob.name) is not named by a digest in the queued run")
            }
            let url: URL
            do { url = try blobs.fetch(blob.blobName) } catch {
                throw DetachError("\(blob.name) cannot be fetched from the team's shared bytes: \(error)", transient: !((error as? BlobStoreError)?.isMissing ?? false))
            }
            let sha256: String
            do { sha256 = try Digest.sha256(fileAt: url) } catch { throw DetachError("\(blob.name) cannot be read: \(error)", transient: true) }
            guard sha256 == blob.sha256 else {
                if let localCopies, url.standardizedFileURL.path.hasPrefix(localCopies.standardizedFileURL.path + "/") {
                    try? FileManager.default.removeItem(at: url)
                }
                throw DetachError("\(blob.name) in the team's shared bytes is damaged (its digest is not \(blob.sha256.prefix(12))…); queue the run again to store it again")
            }
            return url
        }
        func place(_ blob: Blob, at destination: URL) throws {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            do { try FileCopy.copy(try fetch(blob), to: destination) } catch let error as DetachError { throw error } catch {
                throw DetachError("\(blob.name) cannot be written into the run's folder: \(error)")
            }
        }
        let templateName = URL(fileURLWithPath: templatePath).lastPathComponent
        let templateURL = folder.appendingPathComponent(templateName.isEmpty || templateName.hasPrefix(".") ? "template.yaml" : templateName)
        try place(templateFile, at: templateURL)
        for (reference, blob) in templateImages.sorted(by: { $0.key < $1.key }) {
            guard case .file(let url) = ImageReference.resolve(reference, templateDirectory: folder) else {
                throw DetachError("the template's image \(Slug.shown(reference)) is not a path inside the template's folder")
            }
            try place(blob, at: url)
        }
        let loaded: LoadedTemplate
        do { loaded = try LoadedTemplate.load(path: templateURL.path) } catch { throw DetachError("the queued template cannot be read: \(error)") }
        guard var checked = CheckedTemplate(loaded), checked.isValid else {
            throw DetachError("the queued template is not valid on this worker (\(templatePath)): run `sceneflow validate` on it")
        }
        checked.loaded.path = templatePath
        var inputs = HydrationInputs()
        inputs.productID = productID
        for (i, asset) in assets.enumerated() {
            let url = try fetch(asset.blob)
            inputs.files.append(.init(key: asset.key, path: asset.path, url: url, origin: asset.product.map { .store(product: $0) } ?? .argument(i)))
        }
        var request = HydrationRequest(template: checked, inputs: inputs)
        request.runID = runID
        request.targets = targets
        request.regenerate = regenerate
        for (node, blob) in replacements { request.replacements[node] = try fetch(blob) }
        request.music = try music.map { try fetch($0).path }
        request.options.offline = settings.offline
        request.options.retry = RetryPolicy(retries: settings.retries)
        request.options.resolution = settings.resolution
        request.options.failFast = settings.failFast
        request.options.prompts = settings.prompts
        request.options.seeds = settings.seeds
        request.options.variations = settings.variations
        request.burnCaptions = settings.burnCaptions
        request.captionFiles = settings.captionFiles
        request.budget = settings.budgetMicros.map { Money(micros: $0) }
        return request
    }
}

/// A run that cannot be put in the queue or taken from it, said plainly. `transient`: another
/// worker, or this one later, may succeed (a store that does not answer, a description written
/// by a newer SceneFlow).
public struct DetachError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public var transient: Bool
    public init(_ description: String, transient: Bool = false) {
        self.description = description
        self.transient = transient
    }
}
