import Foundation

/// Where the engine reads the time of day: records' timestamps, approval expiry, timers' due
/// times. Injected (``EngineDependencies/clock``) so tests can put a request past its expiry or a
/// timer past its due time without waiting; the lease and retry waits use `ContinuousClock`.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
