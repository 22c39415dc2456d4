/// A Slack user is known to the core by its mention, `<@U123>`: Slack renders it as the person's
/// name in every message, and the audit log records an unambiguous ID.
enum SlackUsers {
    static func mention(_ userID: String) -> String { "<@\(userID)>" }

    static func userID(fromMention mention: String) -> String {
        guard mention.hasPrefix("<@"), mention.hasSuffix(">") else { return mention }
        return String(mention.dropFirst(2).dropLast())
    }
}
