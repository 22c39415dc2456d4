import Foundation

/// Many secrets for load and scale tests: copies of the repository's JWT secret, each with its
/// own id, title, aliases, store entry (`aegis/<id>`) and configmap (`<id>-config`), so their
/// rotations never touch each other's values.
public enum GeneratedCommands {
    /// File name → YAML for each number in `numbers`.
    public static func jwtCopies(_ numbers: ClosedRange<Int>, id: (Int) -> String, aliases: (Int) -> [String]) throws -> [String: String] {
        let jwt = try String(contentsOf: Repository.root.appendingPathComponent("Commands/jwt-signing-key.yaml"), encoding: .utf8)
        var files: [String: String] = [:]
        for n in numbers {
            let name = id(n)
            files["\(name).yaml"] = jwt
                .replacingOccurrences(of: "id: jwt-signing-key", with: "id: \(name)")
                .replacingOccurrences(of: "title: JWT signing key", with: "title: Generated \(name)")
                .replacingOccurrences(of: "aliases: [jwt]", with: "aliases: [\(aliases(n).joined(separator: ", "))]")
                .replacingOccurrences(of: "name: aegis/jwt-signing-key", with: "name: aegis/\(name)")
                .replacingOccurrences(of: "configmap: aegis-config", with: "configmap: \(name)-config")
        }
        return files
    }

    /// Writes `files` (as ``jwtCopies(_:id:aliases:)`` returns them) into `folder`.
    public static func write(_ files: [String: String], to folder: URL) throws {
        for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    }
}
