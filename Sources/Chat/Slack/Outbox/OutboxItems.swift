import AegisChat

/// A message waiting in a channel's lane. Several thread lines for the same thread become one
/// post when they wait together; each keeps its provisional reference.
struct OutboxPost: Sendable {
    var ids: [String]
    var message: ChatMessage
    let channel: String
    let thread: String?
    var delivered: [@Sendable (String) async -> Void]

    /// A one-section message without buttons: safe to join with the next line of its thread.
    var isPlainLine: Bool {
        guard thread != nil, message.blocks.count == 1, case .section(let text) = message.blocks[0] else { return false }
        return text == message.text
    }

    mutating func append(_ next: OutboxPost) {
        let text = message.text + "\n" + next.message.text
        message = .plain(text)
        ids += next.ids
        delivered += next.delivered
    }
}

/// What a lane sends next.
enum OutboxAction: Sendable {
    case post(OutboxPost)
    case update(channel: String, ref: String, realRef: String, message: ChatMessage)

    var method: OutboxMethod {
        switch self {
        case .post: .postMessage
        case .update: .update
        }
    }
}

/// The Web API methods the outbox paces, each with its own 429 hold per channel.
enum OutboxMethod: String, Sendable {
    case postMessage = "chat.postMessage"
    case update = "chat.update"
}

/// What could not be delivered: refused for good by Slack, or still waiting when shutdown's flush
/// time ran out. Recorded in the audit (counts and channels, never the text).
public struct OutboxLoss: Sendable, Equatable {
    public enum Reason: String, Sendable { case refused, shutdown }

    public var reason: Reason
    public var channel: String
    public var posts: Int
    public var updates: Int
    public var problem: String?

    public init(reason: Reason, channel: String, posts: Int, updates: Int, problem: String?) {
        self.reason = reason
        self.channel = channel
        self.posts = posts
        self.updates = updates
        self.problem = problem
    }
}
