import AegisCore
import Foundation

/// Timestamps in Query-protocol (XML) and credential answers: ISO 8601, with or without
/// fractional seconds.
enum AWSDate {
    static func parse(_ text: String?) -> Date? {
        text.flatMap(Timestamps.parseISO8601)
    }
}
