import Testing

// `swift test --skip tag:endToEnd --skip tag:ffmpeg` runs the fast unit tests alone.
extension Tag {
    /// Starts a real process: the built `sceneflow`, a loopback server, a command-line tool.
    @Tag static var endToEnd: Self
    /// Runs ffmpeg or espeak-ng (the local engine makes real media).
    @Tag static var ffmpeg: Self
}
