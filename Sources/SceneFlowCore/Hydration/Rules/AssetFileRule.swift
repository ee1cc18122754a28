import Foundation

/// Every supplied file must exist and be what its slot's type says, judged by content.
public struct AssetFileRule: InputRule {
    public static let codes: [DiagnosticCode] = [.assetNotFound, .assetTypeMismatch]

    public func check(_ inputs: HydrationInputs, _ context: InputContext, into diagnostics: inout [Diagnostic]) {
        for file in inputs.files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                diagnostics.append(context.atFile(file, .assetNotFound, "asset file \"\(file.path)\" for slot \"\(file.key)\" does not exist"))
                continue
            }
            guard let slotType = context.template.slotByKey[file.key]?.type?.value else { continue }
            let actual = MediaType.sniff(fileAt: file.url)
            let fits = slotType.isImage ? (actual?.isImage ?? false) : (actual?.isVideo ?? false)
            guard !fits else { continue }
            let expected = slotType.isImage ? "a PNG, JPEG or WebP image" : "an MP4, MOV or WebM video"
            diagnostics.append(context.atFile(file, .assetTypeMismatch,
                                              "asset \"\(file.path)\" for slot \"\(file.key)\" (\(slotType.rawValue)) is \(actual.map { "\($0.rawValue.uppercased()) data" } ?? "not a recognised image or video"), not \(expected) (checked by content)"))
        }
    }
}
