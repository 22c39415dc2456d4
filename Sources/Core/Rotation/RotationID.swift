/// A rotation's ID, `R-<number>`: a type of its own, so a secret ID, a timer ID or a Slack
/// message reference cannot be passed where a rotation is meant.
///
/// Text a person typed becomes one only through ``init(parsing:)`` (case and surrounding spaces
/// do not matter; anything else is not an ID). Stored records decode as they were written; the
/// string literal form is for fixed IDs in code and tests.
public struct RotationID: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { self.rawValue = value }

    /// The ID of the rotation with this number.
    public init(number: Int) { self.rawValue = "R-\(number)" }

    /// `R-7`, `r-7` or ` R-7 `; nil for anything else.
    public init?(parsing text: String) {
        let trimmed = text.trimmingSpaces
        guard trimmed.utf8.count <= 24, trimmed.count > 2, trimmed.first == "R" || trimmed.first == "r",
              trimmed.dropFirst().first == "-", let number = Int(trimmed.dropFirst(2)), number > 0,
              String(number) == trimmed.dropFirst(2) else { return nil }
        self.init(number: number)
    }

    /// The number, when the ID has the `R-<number>` form.
    public var number: Int? { rawValue.hasPrefix("R-") ? Int(rawValue.dropFirst(2)) : nil }

    public var description: String { rawValue }

    public static func < (lhs: RotationID, rhs: RotationID) -> Bool {
        switch (lhs.number, rhs.number) {
        case let (left?, right?): left < right
        default: lhs.rawValue < rhs.rawValue
        }
    }
}

private extension String {
    var trimmingSpaces: Substring {
        var slice = self[...]
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return slice
    }
}

