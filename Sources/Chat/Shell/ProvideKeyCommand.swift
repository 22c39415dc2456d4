import AegisCore
import Foundation

/// `provide-key R-3 [--file PATH]`: the shell's counterpart of Slack's "Provide the new key" form.
/// The key comes from the next line of input (not echoed on a terminal) or from a file, goes
/// straight to the engine (which puts it in the secret store as pending) and is never printed.
struct ProvideKeyCommand: Equatable {
    enum Source: Equatable {
        case nextLine
        case file(String)
    }

    static let usage = "Usage: provide-key R-3 (then paste the key; it is not shown), or provide-key R-3 --file PATH"

    var rotationID: String
    var source: Source

    /// Nil when `words` is not a provide-key command; throws the usage when it is one, badly formed.
    init?(_ words: [String]) throws(ShellUsage) {
        guard words.first == "provide-key" else { return nil }
        switch words.count {
        case 2: source = .nextLine
        case 4 where words[2] == "--file": source = .file(words[3])
        default: throw ShellUsage(Self.usage)
        }
        rotationID = words[1]
    }

    /// The key in a file: its content with one trailing newline dropped. The error names the
    /// path, never the content.
    static func read(file path: String) throws(ShellUsage) -> SecretValue {
        guard let data = BoundedFile.contents(path) else {
            throw ShellUsage("There is no readable file at '\(path.prefix(200))'.")
        }
        return trimmed(Array(data))
    }

    /// Drops one trailing `\n` or `\r\n` (what an editor or `echo` adds).
    static func trimmed(_ bytes: [UInt8]) -> SecretValue {
        var bytes = bytes
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return SecretValue(bytes: bytes)
    }
}

/// A shell command typed wrongly: the sentence to show.
struct ShellUsage: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
