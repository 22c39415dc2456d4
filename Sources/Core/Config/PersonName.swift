import Foundation

/// How people's names are compared (shell users, approvers): case-insensitive and in one Unicode
/// form, so `Alice` and `alice` (or a decomposed `é`) are one person, never two.
public enum PersonName {
    public static func normalize(_ name: String) -> String {
        name.precomposedStringWithCanonicalMapping.lowercased()
    }

    public static func same(_ first: String, _ second: String) -> Bool { normalize(first) == normalize(second) }
}
