import Foundation

/// Parses and prints the durations operators write in config and Commands files: `90s`, `5m`,
/// `24h`, `90d`, and combinations such as `1h30m`.
public enum DurationText {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let text: String
        public var tooLong = false
        public var description: String {
            if tooLong { return "'\(text.prefix(40))' is longer than \(DurationText.maximumDays)d, the longest duration accepted" }
            return "'\(text.prefix(40))' is not a duration; write a number with a unit: 90s, 5m, 24h, 90d (or 1h30m)"
        }
    }

    /// Ten years: nothing in a rotation waits longer, and the bound keeps every arithmetic on a
    /// duration (dates, sleeps, nanoseconds) far from overflow.
    public static let maximumDays: Int64 = 3_650
    static let maximumMilliseconds: Int64 = maximumDays * 86_400_000

    public static func parse(_ text: String) throws(ParseError) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { throw ParseError(text: text) }
        var totalMilliseconds: Int64 = 0
        var number = ""
        var index = trimmed.startIndex
        while index < trimmed.endIndex {
            let character = trimmed[index]
            if character.isASCII && character.isNumber {
                number.append(character)
                index = trimmed.index(after: index)
                continue
            }
            var unit = String(character)
            let next = trimmed.index(after: index)
            if character == "m", next < trimmed.endIndex, trimmed[next] == "s" { unit = "ms" }
            guard number.count <= 13, let value = Int64(number) else {
                throw ParseError(text: text, tooLong: !number.isEmpty && number.allSatisfy(\.isASCII))
            }
            let multiplier: Int64
            switch unit {
            case "ms": multiplier = 1
            case "s": multiplier = 1_000
            case "m": multiplier = 60_000
            case "h": multiplier = 3_600_000
            case "d": multiplier = 86_400_000
            default: throw ParseError(text: text)
            }
            let (part, overflowPart) = value.multipliedReportingOverflow(by: multiplier)
            let (sum, overflowSum) = totalMilliseconds.addingReportingOverflow(part)
            guard !overflowPart, !overflowSum, sum <= maximumMilliseconds else { throw ParseError(text: text, tooLong: true) }
            totalMilliseconds = sum
            number = ""
            index = trimmed.index(index, offsetBy: unit.count)
        }
        guard number.isEmpty else { throw ParseError(text: text) }
        return .milliseconds(totalMilliseconds)
    }

    /// The shortest exact rendering: `24h`, `90d`, `1h30m`, `1500ms`.
    public static func format(_ duration: Duration) -> String {
        var remaining = duration.milliseconds
        guard remaining > 0 else { return "0s" }
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
            // Whole days read better as days from two days up (90d); a day reads as 24h.
            if unit == "d", remaining < 2 * size || remaining % size != 0 { continue }
            if remaining >= size {
                parts.append("\(remaining / size)\(unit)")
                remaining %= size
            }
        }
        return parts.joined()
    }
}

extension Duration {
    public var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000 + parts.attoseconds / 1_000_000_000_000_000
    }

    public var timeInterval: TimeInterval { Double(milliseconds) / 1_000 }
}
