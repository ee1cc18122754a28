import Foundation
import SceneFlowBasics
import SceneFlowTestTags

/// Errors said as a person reads them: no Foundation domain, code or UserInfo dump, no folder a
/// file passed through — only its name.
@Suite(.timeLimit(.minutes(1))) struct ErrorTextTests {
    @Test func foundationFileErrorsAreSaidInWordsNamingTheFileOnly() throws {
        let missing = URL(fileURLWithPath: "/work/ws/tmp/upload-1234/0/kitchen.png")
        let error = try #require(throwsError { _ = try Data(contentsOf: missing) })
        let text = ErrorText.describe(error)
        #expect(text.contains("no such file") || text.contains("No such file"), "\(text)")
        #expect(text.contains("kitchen.png"), "names the file: \(text)")
        for raw in ["Error Domain", "NSCocoaErrorDomain", "UserInfo", "/work/ws/tmp"] {
            #expect(!text.contains(raw), "\(raw) in \(text)")
        }
        let cocoa = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/var/lib/x/run.json"])
        #expect(ErrorText.describe(cocoa) == "the disk is full (run.json)")
        #expect(ErrorText.describe(POSIXError(.EACCES)) == "permission denied")
    }

    @Test func ownErrorsKeepTheirWordsAndDumpsInsideTextAreCutOut() {
        struct Own: Error, CustomStringConvertible { var description: String { "the slot product_1 is empty" } }
        #expect(ErrorText.describe(Own()) == "the slot product_1 is empty")
        let dumped = #"cannot store: Error Domain=NSCocoaErrorDomain Code=4 "The file “a.png” doesn’t exist." UserInfo={NSFilePath=/srv/ws/tmp/a.png}"#
        #expect(ErrorText.scrubbed(dumped) == "cannot store: The file “a.png” doesn’t exist.")
    }

    func throwsError(_ body: () throws -> Void) -> Error? {
        do { try body(); return nil } catch { return error }
    }
}
