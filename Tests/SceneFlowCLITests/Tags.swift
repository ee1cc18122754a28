import Testing

// Tags say what a suite starts; `scripts/test fast` skips the suites that start processes.
extension Tag {
    /// Starts a real process: the built `sceneflow`, a loopback server, a command-line tool.
    @Tag static var endToEnd: Self
    /// Runs ffmpeg or espeak-ng (the local engine makes real media).
    @Tag static var ffmpeg: Self
}
