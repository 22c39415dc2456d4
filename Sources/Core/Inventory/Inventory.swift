import Foundation
/// The loaded inventory: every secret the bot may rotate, found by ID or alias.
public struct Inventory: Sendable {
    public let definitions: [SecretDefinition]
    private let byName: [String: SecretDefinition]

    public init(definitions: [SecretDefinition]) {
        self.definitions = definitions.sorted { $0.id < $1.id }
        var byName: [String: SecretDefinition] = [:]
        for definition in definitions {
            for name in definition.names { byName[name.lowercased()] = definition }
        }
        self.byName = byName
    }

    /// The secret a name or alias means, case-insensitively.
    public func definition(named name: String) -> SecretDefinition? { byName[name.lowercased()] }

    /// Every valid name, IDs first.
    public var allNames: [String] { definitions.map(\.id) + definitions.flatMap(\.aliases) }

    /// The valid name closest to a mistyped one, by edit distance, if any is reasonably close.
    public func closestName(to name: String) -> String? {
        let target = name.lowercased()
        let scored = allNames.map { ($0, EditDistance.between($0.lowercased(), target)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let bestDefinition = definition(named: best.0)
        let prefixMatch = allNames.first { $0.lowercased().hasPrefix(target) && !target.isEmpty }
        if let prefixMatch { return definition(named: prefixMatch)?.id ?? prefixMatch }
        return best.1 <= max(3, target.count / 2) ? (bestDefinition?.id ?? best.0) : nil
    }
}

enum EditDistance {
    /// Levenshtein distance.
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
