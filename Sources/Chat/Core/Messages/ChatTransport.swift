/// Where messages go: Slack's Web API, or the terminal. References are opaque strings the
/// transport understands (a Slack `channel:ts`, a shell message number).
public protocol ChatTransport: Sendable {
    /// Posts a message; `thread` is the parent message's reference. Returns the new message's reference.
    @discardableResult
    func post(_ message: ChatMessage, channel: String, thread: String?) async throws -> String
    /// Posts a message and calls `delivered` with its reference once it is in the chat. A queueing
    /// transport (``SlackOutbox``) returns a provisional reference at once, which it accepts as
    /// `thread` and `messageRef` in later calls, and calls `delivered` with the chat's own
    /// reference when the message went out; the others post, then call `delivered`.
    @discardableResult
    func post(_ message: ChatMessage, channel: String, thread: String?,
              delivered: @escaping @Sendable (String) async -> Void) async throws -> String
    /// Replaces a posted message.
    func update(_ message: ChatMessage, channel: String, messageRef: String) async throws
    /// A message only `user` sees.
    func postEphemeral(_ message: ChatMessage, channel: String, user: String) async throws
}

extension ChatTransport {
    @discardableResult
    public func post(_ message: ChatMessage, channel: String, thread: String?,
                     delivered: @escaping @Sendable (String) async -> Void) async throws -> String {
        let ref = try await post(message, channel: channel, thread: thread)
        await delivered(ref)
        return ref
    }
}

/// The answer to a command or a click, shown to the person who typed it (ephemeral) or to the channel.
public struct CommandReply: Sendable {
    public enum Visibility: Sendable { case ephemeral, inChannel }

    public var visibility: Visibility
    public var message: ChatMessage

    public init(_ visibility: Visibility, _ message: ChatMessage) {
        self.visibility = visibility
        self.message = message
    }

    public static func ephemeral(_ text: String) -> CommandReply { CommandReply(.ephemeral, .plain(text)) }
}
