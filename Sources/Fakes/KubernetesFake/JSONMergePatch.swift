import Foundation

/// RFC 7386 JSON merge patch over Foundation JSON trees: objects merge key by key, `null` removes
/// a key, anything else replaces. The fake also applies strategic merge patches with it: the only
/// strategic patch kubectl and our client send (`rollout restart`'s template annotation) touches
/// maps alone, where the two formats agree.
enum JSONMergePatch {
    static func apply(_ patch: Any, to target: Any?) -> Any? {
        guard let patchObject = patch as? [String: Any] else { return patch is NSNull ? nil : patch }
        var result = (target as? [String: Any]) ?? [:]
        for (key, value) in patchObject {
            if value is NSNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key])
            }
        }
        return result
    }
}

/// Small helpers to read and write Foundation JSON trees without a forest of casts.
extension Dictionary where Key == String, Value == Any {
    subscript(path path: String...) -> Any? {
        var current: Any? = self
        for component in path { current = (current as? [String: Any])?[component] }
        return current
    }

    mutating func set(_ value: Any?, at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var child = (self[first] as? [String: Any]) ?? [:]
        child.set(value, at: Array(path.dropFirst()))
        self[first] = child
    }

    func int(_ path: String...) -> Int {
        var current: Any? = self
        for component in path { current = (current as? [String: Any])?[component] }
        return (current as? NSNumber)?.intValue ?? (current as? Int) ?? 0
    }

    func jsonData() -> Data {
        (try? JSONSerialization.data(withJSONObject: self, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
