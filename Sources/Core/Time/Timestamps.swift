import FoundationEssentials

/// Every date the bot writes or reads as text: ISO 8601 (audit, state, provider APIs), SigV4's
/// compact form and HTTP dates (`Date`, `Retry-After`). Built on FoundationEssentials' format
/// styles and plain arithmetic, never `DateFormatter`, `ISO8601DateFormatter` or `Calendar`:
/// those load ICU, about 7 MB of resident memory for a bot that only ever needs UTC.
public enum Timestamps {
    private static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `2026-12-02T23:15:00Z`.
    public static func iso8601(_ date: Date) -> String { date.formatted(.iso8601) }

    /// `2026-12-02T23:15:00.123Z`.
    public static func iso8601Fractional(_ date: Date) -> String { date.formatted(fractional) }

    /// ISO 8601 in UTC, with or without fractional seconds; nil for anything else.
    public static func parseISO8601(_ text: String) -> Date? {
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        return try? Date(text, strategy: fractional)
    }

    /// SigV4's `20261202T231500Z`.
    public static func compactISO8601(_ date: Date) -> String {
        iso8601(date).filter { $0 != "-" && $0 != ":" }
    }

    /// `23:15`, UTC.
    public static func clock(_ date: Date) -> String {
        let text = iso8601(date)
        guard let t = text.firstIndex(of: "T") else { return text }
        return String(text[text.index(after: t)...].prefix(5))
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// An HTTP date in the IMF-fixdate form RFC 9110 requires of servers:
    /// `Wed, 02 Dec 2026 23:15:00 GMT`. The weekday is not checked; nil for other forms.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int(parts[1]), (1...31).contains(day),
              let monthIndex = months.firstIndex(of: parts[2].lowercased()),
              let year = Int(parts[3]), (1970...9999).contains(year) else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
