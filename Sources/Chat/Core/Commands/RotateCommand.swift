/// The `/rotate` subcommands, shared by Slack and the shell. Anything else is a secret name.
public enum RotateCommand: String, CaseIterable, Sendable {
    case list, due, status, history, cancel, ack, resolve, help

    public var usage: String {
        switch self {
        case .list: "/rotate list"
        case .due: "/rotate due"
        case .status: "/rotate status [ID]"
        case .history: "/rotate history <secret>"
        case .cancel: "/rotate cancel <ID>"
        case .ack: "/rotate ack <ID>"
        case .resolve: "/rotate resolve <ID>"
        case .help: "/rotate help"
        }
    }

    public var summary: String {
        switch self {
        case .list: "the secrets this bot rotates"
        case .due: "when each secret is due, and which are overdue"
        case .status: "open rotations, or one rotation's checklist"
        case .history: "past rotations of a secret"
        case .cancel: "withdraw a request that is not running yet (requester or approver)"
        case .ack: "acknowledge an escalation: you are on it (approvers; acknowledges the page)"
        case .resolve: "resolve an escalation (approvers; resolves the page)"
        case .help: "this help"
        }
    }

    public static var helpText: String {
        let request = "`/rotate <secret> [--leaked] [reason…]`: request a rotation; a member of the approver channel approves it"
        return ([request] + allCases.map { "`\($0.usage)`: \($0.summary)" }).joined(separator: "\n")
    }
}

/// A parsed `/rotate` line.
public enum ParsedCommand: Sendable, Equatable {
    case request(secret: String, leaked: Bool, reason: String)
    case subcommand(RotateCommand, argument: String?)
    case invalid(String)

    /// Parses the text after `/rotate`. Flags may stand anywhere after the secret name.
    /// Longest `/rotate` line read; longer input is refused before anything looks at it.
    public static let maximumLength = 1_000
    /// Longest secret name or rotation ID read.
    public static let maximumNameLength = 64

    public static func parse(_ text: String) -> ParsedCommand {
        guard text.count <= maximumLength else {
            return .invalid("That is \(text.count) characters; a `/rotate` line has at most \(maximumLength).")
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        if let long = words.prefix(2).first(where: { $0.count > maximumNameLength }) {
            return .invalid("`\(UserText.mark(long.prefix(20)))…` is too long for a secret name or rotation ID (at most \(maximumNameLength) characters).")
        }
        guard let first = words.first else { return .subcommand(.help, argument: nil) }
        if let command = RotateCommand(rawValue: first.lowercased()) {
            let argument = words.dropFirst().first
            switch command {
            case .history where argument == nil: return .invalid("`/rotate history` needs a secret: `/rotate history jwt`")
            case .cancel where argument == nil: return .invalid("`/rotate cancel` needs a rotation ID: `/rotate cancel R-3`")
            case .ack where argument == nil, .resolve where argument == nil:
                return .invalid("`/rotate \(command.rawValue)` needs a rotation ID: `/rotate \(command.rawValue) R-3`")
            default: return .subcommand(command, argument: argument)
            }
        }
        guard !first.hasPrefix("-") else {
            return .invalid("Start with the secret's name: `/rotate okta --leaked`.")
        }
        var leaked = false
        var reason: [String] = []
        for word in words.dropFirst() {
            if word == "--leaked" { leaked = true; continue }
            // Slack turns a typed `--` into a dash; `-leaked`, `—leaked` and `–leaked` are typos of the
            // one option, never a reason: a leak response must not quietly become a normal rotation.
            if let dash = word.first, "-—–".contains(dash) {
                let hint = word.drop(while: { "-—–".contains($0) }).lowercased() == "leaked" ? " Did you mean `--leaked`?" : ""
                return .invalid("Unknown option `\(UserText.mark(word.prefix(40)))`; the only option is `--leaked`.\(hint)")
            }
            reason.append(word)
        }
        let joined = reason.joined(separator: " ")
        guard joined.count <= 500 else { return .invalid("The reason is \(joined.count) characters; keep it under 500.") }
        return .request(secret: first, leaked: leaked, reason: joined)
    }
}
