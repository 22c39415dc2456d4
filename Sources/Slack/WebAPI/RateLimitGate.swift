import Foundation

/// Slack's rate limits are per method: after a 429 with `Retry-After`, every call of that method
/// waits until the window has passed, while other methods go on. Nothing is dropped.
actor RateLimitGate {
    private var blockedUntil: [String: ContinuousClock.Instant] = [:]
    private(set) var rateLimitedCount = 0

    func waitIfBlocked(_ method: String) async throws {
        while let until = blockedUntil[method], until > .now {
            try await Task.sleep(until: until, clock: .continuous)
        }
    }

    func block(_ method: String, for seconds: Double) {
        rateLimitedCount += 1
        let until = ContinuousClock.now + .milliseconds(Int64(max(seconds, 0.05) * 1_000))
        if let current = blockedUntil[method], current > until { return }
        blockedUntil[method] = until
    }
}
