import AegisCore

/// Slack's documented rate limits, enforced the way Slack enforces them: `chat.postMessage` about
/// one message a second per channel with short bursts tolerated, `chat.update` Tier 3 (about 50 a
/// minute for the app). A call over the limit gets HTTP 429 with `Retry-After` in whole seconds
/// and changes nothing. Off unless a test switches it on (``SlackFake/enforceLimits(_:)``).
public struct SlackFakeLimits: Sendable {
    public var postInterval: Duration
    public var postBurst: Int
    public var updateInterval: Duration
    public var updateBurst: Int

    public init(postInterval: Duration = .seconds(1), postBurst: Int = 4, updateInterval: Duration = .milliseconds(1_200),
                updateBurst: Int = 6) {
        self.postInterval = postInterval
        self.postBurst = postBurst
        self.updateInterval = updateInterval
        self.updateBurst = updateBurst
    }

    /// Slack's limits with every interval scaled so a channel takes one post per `postInterval`.
    public static func slack(postInterval: Duration = .seconds(1)) -> SlackFakeLimits {
        let defaults = SlackFakeLimits()
        return SlackFakeLimits(postInterval: postInterval, updateInterval: defaults.updateInterval * (postInterval / defaults.postInterval))
    }
}

/// The fake's buckets for ``SlackFakeLimits``.
struct SlackFakeLimiter {
    let limits: SlackFakeLimits
    var posts: [String: TokenBucket] = [:]
    var updates: TokenBucket

    init(_ limits: SlackFakeLimits) {
        self.limits = limits
        self.updates = TokenBucket(capacity: limits.updateBurst, interval: limits.updateInterval, now: .now)
    }

    /// Nil when the call may go (and takes its token), else the `Retry-After` seconds.
    mutating func admit(method: String, channel: String) -> Int? {
        let now = ContinuousClock.now
        switch method {
        case "chat.postMessage":
            var bucket = posts[channel] ?? TokenBucket(capacity: limits.postBurst, interval: limits.postInterval, now: now)
            defer { posts[channel] = bucket }
            return Self.admit(&bucket, now)
        case "chat.update":
            return Self.admit(&updates, now)
        default:
            return nil
        }
    }

    static func admit(_ bucket: inout TokenBucket, _ now: ContinuousClock.Instant) -> Int? {
        let at = bucket.availableAt(now)
        guard at > now else {
            bucket.take(now)
            return nil
        }
        let seconds = Double((at - now).components.seconds) + Double((at - now).components.attoseconds) / 1e18
        return max(1, Int(seconds.rounded(.up)))
    }
}
