@_exported import Testing

// Tags say what a suite starts, so that `scripts/test fast` can leave out every suite that
// starts a process (`--skip-tag`-like, by the suites' names: see scripts/test). One place,
// shared by every test target.
extension Tag {
    /// Starts a real process: the built `sceneflow`, a loopback server, a command-line tool.
    @Tag public static var endToEnd: Self
    /// Runs ffmpeg or espeak-ng (the local engine makes real media).
    @Tag public static var ffmpeg: Self
}
