import Foundation
import SceneFlowBasics
import Yams

/// Reads YAML into the same `LocatedValue` tree as `JSONReader`, with libyaml's line and column.
///
/// Yams' composer recurses once per nesting level, so hostile input (`[[[[...` ten thousand deep)
/// is refused by a linear prescan before Yams sees it, and composing runs on a thread with a large
/// stack for block-nested input the prescan cannot bound. Aliases are expanded with a budget of
/// values and of key and scalar bytes, linear in the file's size, so a "billion laughs"
/// document is a located error in milliseconds rather than an out-of-memory kill. This is the
/// only way SceneFlow reads YAML (the CLI and the server alike): nothing else calls Yams.
public enum YAMLReader {
    /// More nodes than any real template has.
    static let maxNodes = 5_000_000

    /// What a document of `byteCount` bytes may expand to. Without aliases a value takes at
    /// least a byte of source and its text at most the file's, so the budgets are linear in the
    /// file's size (four times it, plus room for modest anchor reuse); an alias bomb hits them
    /// after a few thousand values and a megabyte of text, never after resolving millions.
    struct Budget {
        var nodes: Int
        /// Keys and scalars, in bytes.
        var textBytes: Int
        init(byteCount: Int) {
            nodes = min(YAMLReader.maxNodes, 10_000 + 4 * byteCount)
            textBytes = 1 << 20 + 4 * byteCount
        }
    }

    public static func read(_ bytes: [UInt8]) throws(SyntaxError) -> LocatedValue {
        try UTF8Validation.check(bytes)
        try prescanFlowDepth(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.allSatisfy({ $0.isWhitespace }) {
            throw SyntaxError(code: .emptyFile, message: "the file is empty; a template is a mapping", anchor: .offset(0))
        }
        // Compose and convert on the large stack: both recurse once per nesting level.
        let result: Result<LocatedValue, SyntaxError> = runWithLargeStack {
            do {
                guard let root = try Yams.compose(yaml: text) else {
                    return .failure(SyntaxError(code: .emptyFile, message: "the file holds no YAML document", anchor: .offset(0)))
                }
                var budget = Budget(byteCount: bytes.count)
                return .success(try convert(root, depth: 0, budget: &budget))
            } catch let error as YamlError {
                return .failure(syntaxError(from: error))
            } catch let error as SyntaxError {
                return .failure(error)
            } catch {
                return .failure(SyntaxError(message: "invalid YAML: \(error)", anchor: .offset(0)))
            }
        }
        return try result.get()
    }

    private static func anchor(_ mark: Mark?) -> SourceAnchor {
        guard let mark else { return .none }
        return .position(line: Int32(clamping: mark.line), column: Int32(clamping: mark.column))
    }

    private static func convert(_ node: Node, depth: Int, budget: inout Budget) throws(SyntaxError) -> LocatedValue {
        budget.nodes -= 1
        if case .scalar(let scalar) = node { budget.textBytes -= scalar.string.utf8.count }
        guard budget.nodes >= 0, budget.textBytes >= 0 else {
            throw SyntaxError(code: .nestingTooDeep, message: "the document expands to far more than it holds (aliases referring to aliases?); the limit for this file is \(Budget(byteCount: 0).nodes) values and \(ByteCount(Budget(byteCount: 0).textBytes)) of text, plus 4 of each per byte of the file", anchor: anchor(node.mark))
        }
        guard depth <= ReaderLimits.maxDepth else {
            throw SyntaxError(code: .nestingTooDeep, message: "values are nested more than \(ReaderLimits.maxDepth) levels deep", anchor: anchor(node.mark))
        }
        switch node {
        case .scalar(let scalar):
            return LocatedValue(scalarKind(scalar), anchor: anchor(scalar.mark))
        case .sequence(let sequence):
            var items: [LocatedValue] = []
            items.reserveCapacity(sequence.count)
            for item in sequence {
                items.append(try convert(item, depth: depth + 1, budget: &budget))
            }
            return LocatedValue(.array(items), anchor: anchor(sequence.mark))
        case .mapping(let mapping):
            var members: [LocatedValue.Member] = []
            members.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw SyntaxError(message: "a mapping key must be a plain name, not a collection", anchor: anchor(key.mark))
                }
                budget.textBytes -= keyScalar.string.utf8.count
                members.append(.init(key: keyScalar.string, keyAnchor: anchor(keyScalar.mark),
                                     value: try convert(value, depth: depth + 1, budget: &budget)))
            }
            return LocatedValue(.object(members), anchor: anchor(mapping.mark))
        case .alias(let alias):
            throw SyntaxError(message: "unresolved alias", anchor: anchor(alias.mark))
        }
    }

    /// YAML 1.1 typing as Yams resolves it: `5` is an integer, `"5"` a string, `yes` a boolean.
    private static func scalarKind(_ scalar: Node.Scalar) -> LocatedValue.Kind {
        switch Resolver.default.resolveTag(of: Node.scalar(scalar)).rawValue {
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.bool.rawValue: if let b = Bool.construct(from: scalar) { return .bool(b) }
        case Tag.Name.int.rawValue: if let i = Int.construct(from: scalar) { return .number(Double(i), isInteger: true) }
        case Tag.Name.float.rawValue:
            if let d = Double.construct(from: scalar), d.isFinite { return .number(d, isInteger: false) }
        default: break
        }
        return .string(scalar.string)
    }

    private static func syntaxError(from error: YamlError) -> SyntaxError {
        func message(_ context: YamlError.Context?, _ problem: String) -> String {
            let prefix = context.map { "\($0.text) " } ?? ""
            return "invalid YAML: \(prefix)\(problem)"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            return SyntaxError(message: message(context, problem), anchor: anchor(mark))
        case let .reader(problem, offset, _, _):
            return SyntaxError(code: .invalidEncoding, message: "invalid YAML: \(problem)", anchor: .offset(offset ?? 0))
        case let .duplicatedKeysInMapping(duplicates, context):
            return SyntaxError(code: .duplicateKey, message: "duplicate key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) in a mapping", anchor: anchor(context.mark))
        default:
            return SyntaxError(message: "invalid YAML: \(error)", anchor: .offset(0))
        }
    }

    /// Refuses flow collections nested deeper than the limit without recursing. Quoted strings and
    /// comments are skipped so that brackets inside text do not count.
    private static func prescanFlowDepth(_ bytes: [UInt8]) throws(SyntaxError) {
        var depth = 0
        var i = 0
        var quote: UInt8 = 0
        var comment = false
        while i < bytes.count {
            let b = bytes[i]
            if comment {
                if b == 0x0A || b == 0x0D { comment = false }
            } else if quote != 0 {
                if b == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") { i += 1 } else if b == quote { quote = 0 }
            } else {
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = b
                case UInt8(ascii: "#"): comment = i == 0 || bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09 || bytes[i - 1] == 0x0A
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > ReaderLimits.maxDepth {
                        throw SyntaxError(code: .nestingTooDeep, message: "values are nested more than \(ReaderLimits.maxDepth) levels deep", anchor: .offset(i))
                    }
                case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
                default: break
                }
            }
            i += 1
        }
    }

    /// Runs `body` on a thread with a 512 MiB stack (address space only; pages are touched as used).
    private static func runWithLargeStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = 512 << 20
        thread.start()
        done.wait()
        return box.value!
    }
}

/// Carries a result from the large-stack thread back to the caller, which waits on a semaphore.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
