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

/// A timer's transitions, the same in every state store (each applies them inside a transaction
/// on the row it locked). Each returns false when the transition does not apply and nothing is
/// to be written.
extension TimerRecord {
    /// Pending → running. Running → running is a takeover: the caller holds the timer's lease,
    /// so the previous holder's expired.
    public mutating func claim(at now: Date) -> Bool {
        guard status == .pending || status == .running else { return false }
        status = .running
        claimedAt = now
        return true
    }

    /// Ends the timer (done or cancelled) unless it already ended.
    public mutating func finish(_ outcome: TimerStatus, note: String?) -> Bool {
        guard status != .done, status != .cancelled else { return false }
        status = outcome
        self.note = note
        return true
    }

    /// Back to pending at a later time (after a failure).
    public mutating func reschedule(to dueAt: Date, note: String?) -> Bool {
        status = .pending
        self.dueAt = dueAt
        self.note = note
        return true
    }
}

/// A state store that changes one timer row in a transaction (reading it locked, writing it back
/// when `change` returns true). It gets the protocol's timer transitions from ``TimerRecord``'s
/// rules, so every store applies the same ones.
public protocol TimerRowStore: StateStore {
    func mutateTimer(id: String, _ change: @escaping @Sendable (inout TimerRecord) -> Bool) async throws -> Bool
}

extension TimerRowStore {
    public func claimTimer(id: String, now: Date) async throws -> Bool {
        try await mutateTimer(id: id) { $0.claim(at: now) }
    }

    public func finishTimer(id: String, status: TimerStatus, note: String?) async throws {
        _ = try await mutateTimer(id: id) { $0.finish(status, note: note) }
        timerChanges.signal()
    }

    public func rescheduleTimer(id: String, dueAt: Date, note: String?) async throws {
        _ = try await mutateTimer(id: id) { $0.reschedule(to: dueAt, note: note) }
        timerChanges.signal()
    }
}
