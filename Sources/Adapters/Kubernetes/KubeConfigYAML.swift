import AegisCore
import Yams

/// A kubeconfig's YAML as plain values: mappings as `[String: Any]`, lists as `[Any]`, `true` /
/// `false` as `Bool`, every other scalar as text (a numeric token stays a token).
///
/// Not `Yams.load`: its constructor force-unwraps a mapping key that is not a string (`? [a]: b`
/// crashed the bot at start, found by `FuzzKubeconfig`), and its default resolver loads ICU. The
/// size, node-count and depth bounds are the inventory's (`YAMLBounds`).
enum KubeConfigYAML {
    static func load(_ text: String) throws(KubeConfigError) -> [String: Any] {
        let root: Node
        do {
            try YAMLBounds.check(text: text)
            guard let node = try Yams.compose(yaml: text, .basic, .default, .utf8) else { throw KubeConfigError("the file is empty") }
            try YAMLBounds.check(node)
            root = node
        } catch let error as KubeConfigError {
            throw error
        } catch let violation as YAMLBounds.Violation {
            throw KubeConfigError("line \(violation.line): \(violation.key) \(violation.problem)")
        } catch {
            throw KubeConfigError("not valid YAML")
        }
        guard case .mapping = root, let mapping = try plain(root) as? [String: Any] else { throw KubeConfigError("not a YAML mapping") }
        return mapping
    }

    static func plain(_ node: Node) throws(KubeConfigError) -> Any {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                switch scalar.string {
                case "true", "True", "TRUE": return true
                case "false", "False", "FALSE": return false
                default: break
                }
            }
            return scalar.string
        case .mapping(let mapping):
            var result: [String: Any] = [:]
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    throw KubeConfigError("line \((key.mark?.line).map(String.init) ?? "?"): a key must be text, not a list or mapping")
                }
                result[name.string] = try plain(value)
            }
            return result
        case .sequence(let sequence):
            var result: [Any] = []
            for item in sequence { result.append(try plain(item)) }
            return result
        case .alias:
            throw KubeConfigError("YAML aliases are not supported in a kubeconfig")
        }
    }
}
