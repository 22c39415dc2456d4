import Foundation

/// Work a provider adapter hands to a durable timer, to be done after a delay and after restarts:
/// deleting an old IAM access key once the grace period is over, for instance. The core knows
/// such actions only by name (`TimerRecord.payload["action"]`), so it stays free of providers.
///
/// `perform` must be idempotent (a timer may fire again after a crash) and read only the timer's
/// non-secret payload. It returns a note safe to post; it throws to have the timer retried.
public protocol DeferredAction: Sendable {
    func perform(payload: [String: String]) async throws -> String
    /// Whether the note goes into the rotation's thread as a grace clean-up line. Actions that
    /// are not a clean-up (paging on-call) are audited only.
    var announcesInThread: Bool { get }
}

extension DeferredAction {
    public var announcesInThread: Bool { true }
}

/// Thrown by a deferred action the far side asked to come back later (a rate limit): the timer
/// is retried after `after` instead of the usual minute.
public struct RetryLater: Error, Sendable, CustomStringConvertible {
    public var after: Duration
    public var reason: String

    public init(after: Duration, reason: String) {
        self.after = after
        self.reason = reason
    }

    public var description: String { reason }
}

/// The deferred actions available in this process, by name.
public struct DeferredActionRegistry: Sendable {
    public static let payloadKey = "action"

    public var actions: [String: any DeferredAction]

    public init(actions: [String: any DeferredAction] = [:]) { self.actions = actions }

    /// A timer that runs `action` at `dueAt`.
    public static func timer(id: String, action: String, rotationID: RotationID?, dueAt: Date,
                             payload: [String: String]) -> TimerRecord {
        var payload = payload
        payload[payloadKey] = action
        return TimerRecord(id: id, kind: .deferredAction, rotationID: rotationID, dueAt: dueAt, payload: payload)
    }
}
