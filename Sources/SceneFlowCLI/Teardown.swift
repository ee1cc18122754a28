/// Large values a command made that are deliberately not freed: the process exits right after
/// the command returns and the kernel takes its memory back at once, while freeing a 100,000-
/// scene template, its graph and its plan object by object costs a noticeable part of the
/// command's time. The same choice as clang's `-disable-free`. Only for values that live until
/// the command ends anyway; never in a long-running process (`serve`).
enum Teardown {
    private final class Box {
        let value: Any
        init(_ value: Any) { self.value = value }
    }

    static func skip(_ values: Any...) {
        for value in values { _ = Unmanaged.passRetained(Box(value)) }
    }
}
