import Foundation
import Logging

/// How the engine retries work that failed transiently (an ``AdapterError`` with `isTransient`):
/// a step, a rollback's undo, the grace clean-up's restart. Capped exponential backoff with
/// jitter; the last failure is thrown. One policy for all of them (`AEGIS_STEP_ATTEMPTS`,
/// `AEGIS_RETRY_BASE`), so a reader finds the rule in one place.
public struct RetryPolicy: Sendable {
    public let attempts: Int
    public let base: Duration

    public init(attempts: Int, base: Duration) {
        self.attempts = max(1, attempts)
        self.base = base
    }

    public init(_ settings: RotationSettings) {
        self.init(attempts: settings.stepAttempts, base: settings.retryBaseDelay)
    }

    /// Runs `body` until it succeeds, fails with an error that is not transient, or has been
    /// tried `attempts` times. `beforeRetry` runs before each wait (to record the attempt).
    public func run<T: Sendable>(_ what: String, logger: Logger?, message: Logger.Message = "transient failure, retrying",
                                 isolation: isolated (any Actor)? = #isolation,
                                 beforeRetry: (_ attempt: Int, _ error: AdapterError) async throws -> Void = { _, _ in },
                                 _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as AdapterError where error.isTransient && attempt < attempts {
                let delay = Self.backoff(attempt: attempt, base: base)
                logger?.warning(message, metadata: [
                    "what": "\(what)", "attempt": "\(attempt)", "error": "\(error.description)", "retry_in_ms": "\(delay.milliseconds)"])
                try await beforeRetry(attempt, error)
                attempt += 1
                try await Task.sleep(for: delay)
            }
        }
    }

    /// The wait before retry number `attempt`: `base` doubled per attempt, capped at 60 s, plus up
    /// to a quarter of jitter so replicas and rotations do not retry in step.
    public static func backoff(attempt: Int, base: Duration) -> Duration {
        let exponential = base.milliseconds * Int64(1 << min(attempt - 1, 6))
        let jitter = Int64.random(in: 0...max(1, exponential / 4))
        return .milliseconds(min(exponential + jitter, 60_000))
    }
}
