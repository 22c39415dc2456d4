import Foundation
import Yams

/// Reads one YAML mapping of a Commands file and turns every problem into an ``InventoryError``
/// that names the file, the line and the key (its dotted path, e.g. `strategies.safe[2].kind`).
struct YAMLMappingReader {
    let file: String
    let path: String
    let mapping: Node.Mapping
    /// The values by key text. `Node.Mapping`'s own subscript builds a node for the key and
    /// compares it with every key in turn, a seventh of loading 1,000 Commands files.
    let values: [String: Node]
    let line: Int

    init(file: String, path: String, node: Node) throws(InventoryError) {
        guard case .mapping(let mapping) = node else {
            throw InventoryError(file: file, line: node.mark?.line ?? 1, key: path.isEmpty ? "(document)" : path,
                                 problem: "expected a mapping of keys to values")
        }
        self.file = file
        self.path = path
        self.mapping = mapping
        var values: [String: Node] = [:]
        for (key, value) in mapping {
            if let text = key.string, values[text] == nil { values[text] = value }
        }
        self.values = values
        self.line = mapping.mark?.line ?? 1
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ problem: String, at node: Node? = nil) -> InventoryError {
        InventoryError(file: file, line: node?.mark?.line ?? line, key: keyPath(key), problem: problem)
    }

    /// Rejects keys outside `allowed`, naming the line of the offending key.
    func rejectUnknownKeys(allowed: Set<String>) throws(InventoryError) {
        for (keyNode, _) in mapping {
            let key = keyNode.string ?? "?"
            if !allowed.contains(key) {
                throw error(key, "unknown key; known keys here: \(allowed.sorted().joined(separator: ", "))", at: keyNode)
            }
        }
    }

    func node(_ key: String) -> Node? { values[key] }

    func requiredNode(_ key: String) throws(InventoryError) -> Node {
        guard let value = values[key] else { throw error(key, "missing; this field is required") }
        return value
    }

    func requiredString(_ key: String) throws(InventoryError) -> String {
        try scalar(key, try requiredNode(key))
    }

    func optionalString(_ key: String) throws(InventoryError) -> String? {
        guard let value = values[key] else { return nil }
        return try scalar(key, value)
    }

    func scalar(_ key: String, _ node: Node) throws(InventoryError) -> String {
        guard case .scalar(let scalar) = node else { throw error(key, "expected a single value", at: node) }
        let text = Self.trimmingSpaces(scalar.string)
        guard !text.isEmpty else { throw error(key, "is empty", at: node) }
        return text
    }

    /// `trimmingCharacters(in: .whitespaces)` (general category Zs and tab) without the bridge
    /// to NSString, which was a tenth of the time to load 1,000 Commands files.
    static func trimmingSpaces(_ text: String) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return text }
        return String(scalars[first...last])
    }

    func stringList(_ key: String) throws(InventoryError) -> [String] {
        guard let value = values[key] else { return [] }
        switch value {
        case .scalar: return [try scalar(key, value)]
        case .sequence(let sequence):
            var result: [String] = []
            for item in sequence { result.append(try scalar(key, item)) }
            return result
        default: throw error(key, "expected a list of values", at: value)
        }
    }

    func stringMap(_ key: String, _ node: Node) throws(InventoryError) -> [String: String] {
        let child = try YAMLMappingReader(file: file, path: keyPath(key), node: node)
        var result: [String: String] = [:]
        for (keyNode, valueNode) in child.mapping {
            let name = keyNode.string ?? "?"
            result[name] = try child.scalar(name, valueNode)
        }
        return result
    }

    func duration(_ key: String, required: Bool) throws(InventoryError) -> Duration? {
        guard let node = values[key] else {
            if required { throw error(key, "missing; this field is required") }
            return nil
        }
        let text = try scalar(key, node)
        do {
            return try DurationText.parse(text)
        } catch {
            throw self.error(key, error.description, at: node)
        }
    }
}
