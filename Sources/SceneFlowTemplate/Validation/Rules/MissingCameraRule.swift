import Foundation

/// A `camera_angle` frame must say which camera: the model has nothing to re-shoot from otherwise.
struct MissingCameraRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.missingCamera]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        for scene in context.template.scenes {
            for frame in context.frameSpecs(of: scene) where frame.spec.source == .cameraAngle {
                let spec = frame.spec
                let camera = spec.camera?.value.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                guard camera.isEmpty else { continue }
                findings.error(.missingCamera,
                               "camera_angle frame of scene \"\(scene.id?.value ?? "#\(scene.index)")\" has no \"camera\" describing the new angle",
                               path: "\(frame.path).camera", at: spec.camera?.anchor ?? spec.anchor,
                               suggestion: "add e.g. \"camera\": \"close-up, from the left\"")
            }
        }
    }
}
