import Yams

/// Limits on a Commands (or config) file's YAML, checked right after parsing and before anything
/// walks the document.
///
/// YAML aliases let a few hundred bytes describe a document of billions of nodes (the "billion
/// laughs"): parsing shares the aliased nodes, but every later walk expands them. So the document
/// is walked once here, expanded as a reader would see it, with a budget: a file that expands past
/// ``maximumNodes`` or nests deeper than ``maximumDepth`` is refused, naming the line where the
/// budget ran out. Mapping keys must be plain scalars (a key that is itself a mapping or a list is
/// never meaningful in these files and used to crash readers).
public enum YAMLBounds {
    public static let maximumBytes = 256 * 1024
    public static let maximumNodes = 10_000
    public static let maximumDepth = 32

    public struct Violation: Error, Sendable {
        public let line: Int
        public let key: String
        public let problem: String
    }

    /// Throws the first violation found.
    public static func check(text: String) throws(Violation) {
        guard text.utf8.count <= maximumBytes else {
            throw Violation(line: 1, key: "(file)", problem: "is \(text.utf8.count) bytes; at most \(maximumBytes) are read")
        }
    }

    public static func check(_ root: Node) throws(Violation) {
        var visited = 0
        try walk(root, depth: 0, path: "", visited: &visited)
    }

    private static func walk(_ node: Node, depth: Int, path: String, visited: inout Int) throws(Violation) {
        visited += 1
        let line = node.mark?.line ?? 1
        let key = path.isEmpty ? "(document)" : path
        guard visited <= maximumNodes else {
            throw Violation(line: line, key: key, problem: "expands to more than \(maximumNodes) values (YAML aliases?); anchors and aliases are not needed in these files")
        }
        guard depth <= maximumDepth else {
            throw Violation(line: line, key: key, problem: "nests deeper than \(maximumDepth) levels")
        }
        switch node {
        case .scalar, .alias:
            return
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                try walk(element, depth: depth + 1, path: "\(path)[\(index)]", visited: &visited)
            }
        case .mapping(let mapping):
            for (keyNode, value) in mapping {
                guard case .scalar(let scalar) = keyNode else {
                    throw Violation(line: keyNode.mark?.line ?? line, key: key, problem: "has a key that is not a plain name (a mapping or a list used as a key)")
                }
                try walk(value, depth: depth + 1, path: path.isEmpty ? scalar.string : "\(path).\(scalar.string)", visited: &visited)
            }
        }
    }
}
