import AegisChat
import SlackWebAPI

/// The chat layer's transport on Slack's Web API: `chat.postMessage` (threads by `thread_ts`),
/// `chat.update` for the request message's checklist, `chat.postEphemeral` for private answers.
/// A message reference is its `ts`.
public struct SlackTransport: ChatTransport {
    let api: SlackWebClient
    let channels: SlackChannelDirectory

    public init(api: SlackWebClient, channels: SlackChannelDirectory) {
        self.api = api
        self.channels = channels
    }

    public func post(_ message: ChatMessage, channel: String, thread: String?) async throws -> String {
        let limited = message.limited()
        return try await api.postMessage(channel: try await channels.id(for: channel), text: UserText.slack(limited.text),
                                         blocks: BlockKitRenderer.blocks(limited), threadTS: thread).ts
    }

    public func update(_ message: ChatMessage, channel: String, messageRef: String) async throws {
        let limited = message.limited()
        try await api.updateMessage(channel: try await channels.id(for: channel), ts: messageRef, text: UserText.slack(limited.text),
                                    blocks: BlockKitRenderer.blocks(limited))
    }

    public func postEphemeral(_ message: ChatMessage, channel: String, user: String) async throws {
        let limited = message.limited()
        try await api.postEphemeral(channel: try await channels.id(for: channel), user: SlackUsers.userID(fromMention: user),
                                    text: UserText.slack(limited.text), blocks: BlockKitRenderer.blocks(limited))
    }
}
