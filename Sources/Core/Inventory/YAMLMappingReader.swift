import Foundation
import Yams

/// Reads one YAML mapping of a Commands file and turns every problem into an ``InventoryError``
/// that names the file, the line and the key (its dotted path, e.g. `strategies.safe[2].kind`).
struct YAMLMappingReader {
    let file: String
    let path: String
    let mapping: Node.Mapping
    let line: Int

    init(file: String, path: String, node: Node) throws(InventoryError) {
        guard case .mapping(let mapping) = node else {
            throw InventoryError(file: file, line: node.mark?.line ?? 1, key: path.isEmpty ? "(document)" : path,
                                 problem: "expected a mapping of keys to values")
        }
        self.file = file
        self.path = path
        self.mapping = mapping
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

    func node(_ key: String) -> Node? { mapping[key] }

    func requiredNode(_ key: String) throws(InventoryError) -> Node {
        guard let value = mapping[key] else { throw error(key, "missing; this field is required") }
        return value
    }

    func requiredString(_ key: String) throws(InventoryError) -> String {
        try scalar(key, try requiredNode(key))
    }

    func optionalString(_ key: String) throws(InventoryError) -> String? {
        guard let value = mapping[key] else { return nil }
        return try scalar(key, value)
    }

    func scalar(_ key: String, _ node: Node) throws(InventoryError) -> String {
        guard case .scalar(let scalar) = node else { throw error(key, "expected a single value", at: node) }
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw error(key, "is empty", at: node) }
        return text
    }

    func stringList(_ key: String) throws(InventoryError) -> [String] {
        guard let value = mapping[key] else { return [] }
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
        guard let node = mapping[key] else {
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
