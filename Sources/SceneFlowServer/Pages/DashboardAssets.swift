import Foundation

/// The dashboard's script and stylesheet, served from `/static/`. They are plain files in
/// `Pages/Assets` (no build step, no dependency), embedded in the binary by SwiftPM
/// (`.embedInCode`), so `sceneflow serve` needs nothing beside itself. The script is the
/// files joined in a fixed order: helpers, lists, editor, hydrate, run, products (and queue), start.
enum DashboardAssets {
    static let script: String = [
        PackageResources.common_js, PackageResources.lists_js, PackageResources.editor_js,
        PackageResources.hydrate_js, PackageResources.run_js, PackageResources.products_js, PackageResources.boot_js,
    ].map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")

    static let stylesheet = String(decoding: PackageResources.app_css, as: UTF8.self)
}
