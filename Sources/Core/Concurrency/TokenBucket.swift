/// A token bucket: up to `capacity` calls at once, refilled one every `interval`. The Slack
/// outbox paces itself with it, and the Slack fake enforces Slack's limits with it.
public struct TokenBucket: Sendable {
    public let capacity: Int
    public let interval: Duration
    private var tokens: Double
    private var refilledAt: ContinuousClock.Instant

    public init(capacity: Int, interval: Duration, now: ContinuousClock.Instant) {
        self.capacity = max(1, capacity)
        self.interval = interval
        self.tokens = Double(max(1, capacity))
        self.refilledAt = now
    }

    /// When the next call may go (now or later).
    public mutating func availableAt(_ now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        refill(now)
        guard tokens < 1 else { return now }
        return now + interval * (1 - tokens)
    }

    public mutating func take(_ now: ContinuousClock.Instant) {
        refill(now)
        tokens = max(0, tokens - 1)
    }

    private mutating func refill(_ now: ContinuousClock.Instant) {
        guard now > refilledAt else { return }
        tokens = min(Double(capacity), tokens + (now - refilledAt) / interval)
        refilledAt = now
    }
}
