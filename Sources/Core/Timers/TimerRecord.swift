import Foundation

/// What a durable timer does when it fires.
public enum TimerKind: String, Sendable, Codable {
    /// Remove the old key after the grace period.
    case graceCleanup = "grace-cleanup"
    /// Expire a request nobody approved in time.
    case approvalExpiry = "approval-expiry"
    /// Announce overdue secrets, then re-arm.
    case dueCheck = "due-check"
    /// A provider adapter's ``DeferredAction`` (named in the payload), e.g. an old key's deletion.
    case deferredAction = "deferred-action"
}

public enum TimerStatus: String, Sendable, Codable {
    case pending
    case running
    case done
    case cancelled
}

/// A timer kept in the state store, so it fires after a restart.
public struct TimerRecord: Sendable, Codable, Hashable {
    public var id: String
    public var kind: TimerKind
    public var rotationID: RotationID?
    public var dueAt: Date
    public var status: TimerStatus
    /// Non-secret parameters (config keys, expected version IDs).
    public var payload: [String: String]
    public var claimedAt: Date?
    public var note: String?

    public init(id: String, kind: TimerKind, rotationID: RotationID?, dueAt: Date, payload: [String: String] = [:]) {
        self.id = id
        self.kind = kind
        self.rotationID = rotationID
        self.dueAt = dueAt
        self.status = .pending
        self.payload = payload
    }
}
