import AegisCore
import Foundation

/// A command as Redis receives it: an array of bulk strings. Arguments are bytes, and a secret
/// argument is a `SecretValue` until the encoder writes it to the socket.
///
/// `description` names only the command (`ACL SETUSER`, `AUTH`): arguments may hold a password
/// or a user name, and the command name alone is enough to say what failed.
public struct RESPCommand: Sendable, CustomStringConvertible {
    public enum Argument: Sendable {
        case text(String)
        case secret(SecretValue)

        var bytes: [UInt8] {
            switch self {
            case .text(let text): Array(text.utf8)
            case .secret(let value): value.revealSecretBytes()
            }
        }
    }

    public var arguments: [Argument]

    public init(_ arguments: [Argument]) { self.arguments = arguments }

    /// A command with only non-secret arguments.
    public init(_ words: String...) { self.arguments = words.map(Argument.text) }

    /// The command's name, with its subcommand where it has one (`ACL SETUSER`, `CONFIG SET`).
    public var name: String {
        let words = arguments.prefix(2).map { argument -> String in
            if case .text(let text) = argument { return text.uppercased() }
            return "?"
        }
        guard let first = words.first else { return "(empty)" }
        let hasSubcommand = ["ACL", "CONFIG", "CLIENT"].contains(first) && words.count > 1
        return hasSubcommand ? "\(first) \(words[1])" : first
    }

    public var description: String { name }
}
