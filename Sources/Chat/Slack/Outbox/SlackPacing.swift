/// How fast the outbox sends, from Slack's documented limits: `chat.postMessage` about one
/// message a second per channel (short bursts tolerated), `chat.update` Tier 3 (about 50 a minute
/// for the app). The outbox stays under them by design, so a 429 is an exception, not the pacing.
///
/// `AEGIS_SLACK_PACE` scales every interval (the post interval; the others in proportion), so
/// tests run against a Slack fake whose enforced limits are scaled the same way.
public struct SlackPacing: Sendable, Equatable {
    /// One channel's posts: a bucket of `postBurst` refilled one every `postInterval`.
    public var postInterval: Duration
    public var postBurst: Int
    /// The app's `chat.update` calls, all channels together.
    public var updateInterval: Duration
    public var updateBurst: Int
    /// One message is updated at most this often; what changed meanwhile is sent as one update
    /// with the latest state.
    public var messageUpdateInterval: Duration
    /// Thread lines waiting for the same thread are sent as one message, up to this many.
    public var linesPerPost: Int

    public init(postInterval: Duration = .seconds(1), postBurst: Int = 3, updateInterval: Duration = .milliseconds(1_300),
                updateBurst: Int = 5, messageUpdateInterval: Duration = .seconds(1), linesPerPost: Int = 8) {
        self.postInterval = postInterval
        self.postBurst = postBurst
        self.updateInterval = updateInterval
        self.updateBurst = updateBurst
        self.messageUpdateInterval = messageUpdateInterval
        self.linesPerPost = linesPerPost
    }

    /// Slack's limits as documented.
    public static let slack = SlackPacing()

    /// Slack's pacing with every interval scaled so that one channel posts once per `postInterval`.
    public static func scaled(postInterval: Duration) -> SlackPacing {
        let factor = postInterval / SlackPacing.slack.postInterval
        var pacing = SlackPacing.slack
        pacing.postInterval = postInterval
        pacing.updateInterval = SlackPacing.slack.updateInterval * factor
        pacing.messageUpdateInterval = SlackPacing.slack.messageUpdateInterval * factor
        return pacing
    }
}
