/// Capped exponential backoff with full jitter (AWS's "exponential backoff and jitter"): the n-th
/// wait is uniform in [0, min(cap, base·2ⁿ)], so many replicas never reconnect in lock-step.
public struct Backoff: Sendable {
    public let base: Duration
    public let cap: Duration
    private(set) var attempt = 0

    public init(base: Duration = .milliseconds(500), cap: Duration = .seconds(30)) {
        self.base = base
        self.cap = cap
    }

    public mutating func next() -> Duration {
        let ceiling = min(cap.milliseconds, base.milliseconds << min(attempt, 20))
        attempt += 1
        return .milliseconds(Int64.random(in: min(base.milliseconds / 2, ceiling)...max(1, ceiling)))
    }

    public mutating func reset() { attempt = 0 }
}

extension Duration {
    var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
