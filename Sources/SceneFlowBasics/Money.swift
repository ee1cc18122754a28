import Foundation

/// An amount of US dollars, kept in millionths so that sums of many small prices do not drift
/// (`4038.006999997922`): shown to the cent (a non-zero amount under a cent to four places),
/// encoded as an exact decimal (`4038.007`, `0.0042`).
public struct Money: Sendable, Hashable, Comparable, AdditiveArithmetic, CustomStringConvertible, Codable {
    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }
    public init(dollars: Double) { micros = Int64((dollars * 1_000_000).rounded()) }

    public static let zero = Money(micros: 0)
    public var dollars: Double { Double(micros) / 1_000_000 }
    public var cents: Int64 { (micros + (micros >= 0 ? 5_000 : -5_000)) / 10_000 }

    /// "$12.34"; "$0.0042" for an amount under a cent.
    public var description: String {
        if micros != 0 && abs(micros) < 10_000 { return "\(micros < 0 ? "-" : "")$0.\(String(format: "%04d", Int((abs(micros) + 50) / 100)))" }
        let c = cents
        return "\(c < 0 ? "-" : "")$\(abs(c) / 100).\(String(format: "%02d", Int(abs(c) % 100)))"
    }

    /// The exact amount as a decimal (JSON `12.34`, `0.0042`, never `12.339999`).
    public var decimal: Decimal { Decimal(micros) / 1_000_000 }

    /// The exact amount as decimal text, trailing zeros trimmed: "12.34", "0.0042", "3".
    public var decimalText: String {
        let whole = abs(micros) / 1_000_000, fraction = abs(micros) % 1_000_000
        var text = "\(micros < 0 ? "-" : "")\(whole)"
        if fraction > 0 {
            var digits = String(format: "%06d", Int(fraction))
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    public static func + (a: Money, b: Money) -> Money { Money(micros: a.micros + b.micros) }
    public static func - (a: Money, b: Money) -> Money { Money(micros: a.micros - b.micros) }
    public static func * (a: Money, n: Int) -> Money { Money(micros: a.micros * Int64(n)) }
    public static func < (a: Money, b: Money) -> Bool { a.micros < b.micros }

    public init(from decoder: Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Decimal.self)
        micros = Int64(truncating: NSDecimalNumber(decimal: value * 1_000_000))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimal)
    }

    /// Parses "12.5", "$12.50" (a budget on the command line); `nil` for anything else or a negative amount.
    public init?(parsing text: String) {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("$") { t.removeFirst() }
        guard !t.isEmpty, t.allSatisfy({ $0.isNumber || $0 == "." }), t.filter({ $0 == "." }).count <= 1,
              let value = Decimal(string: t, locale: Locale(identifier: "en_US_POSIX")), value >= 0, value < 1_000_000_000 else { return nil }
        micros = Int64(truncating: NSDecimalNumber(decimal: value * 1_000_000))
    }
}

extension Sequence where Element == Money {
    public func sum() -> Money { reduce(.zero, +) }
}
