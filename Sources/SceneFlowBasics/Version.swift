/// This SceneFlow's version, as `sceneflow --version`, the server's health check and the final
/// video's metadata say it.
public enum SceneFlowVersion {
    public static let current = "0.2.0"
}
