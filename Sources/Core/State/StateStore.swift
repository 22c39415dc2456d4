import Foundation

/// Durable state: rotations, steps, timers and the audit log. SQLite by default, PostgreSQL for
/// several replicas. Every method is a transaction; callers write state *before* side effects.
public protocol StateStore: Sendable {
    /// Creates a rotation unless the secret already has an open one, atomically.
    /// `build` receives the next rotation number.
    func createRotation(
        secretID: String,
        audit: AuditEntry,
        build: @Sendable (Int) -> RotationRecord
    ) async throws -> RotationCreation

    func rotation(id: String) async throws -> RotationRecord?
    func rotations(secretID: String) async throws -> [RotationRecord]
    func rotations(statuses: Set<RotationStatus>) async throws -> [RotationRecord]
    func latestRotations(limit: Int) async throws -> [RotationRecord]

    /// Reads, changes and writes one rotation in a transaction, with an optional audit entry
    /// appended in the same transaction. `body` may throw to abort without writing.
    @discardableResult
    func updateRotation(
        id: String,
        audit: (@Sendable (RotationRecord) -> AuditEntry?)?,
        _ body: @Sendable (inout RotationRecord) throws -> Void
    ) async throws -> RotationRecord

    func saveStep(_ step: StepRecord) async throws
    func steps(rotationID: String) async throws -> [StepRecord]

    /// Inserts a timer; a timer with the same ID already there is kept as it is.
    func scheduleTimer(_ timer: TimerRecord) async throws
    func dueTimers(now: Date) async throws -> [TimerRecord]
    /// Marks a pending timer as running; false if someone else holds it. A timer left running by
    /// a process that died is pending again after ``releaseOrphanedClaims()``.
    func claimTimer(id: String, now: Date) async throws -> Bool
    /// Called once at start-up: timers and rotations claimed by a dead process become claimable.
    func releaseOrphanedClaims() async throws
    func finishTimer(id: String, status: TimerStatus, note: String?) async throws
    /// Puts a timer back to pending at a later time (after a failure).
    func rescheduleTimer(id: String, dueAt: Date, note: String?) async throws
    func timers(rotationID: String) async throws -> [TimerRecord]
    /// When the earliest pending timer is due, or nil when none is pending.
    func nextTimerDue() async throws -> Date?
    /// Signalled whenever this process schedules, reschedules or releases a timer, so the
    /// scheduler sleeps until the next due time instead of polling.
    var timerChanges: WakeSignal { get }
    func pendingTimers(kind: TimerKind) async throws -> [TimerRecord]

    @discardableResult
    func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord
    func auditRecords() async throws -> [AuditRecord]

    /// Cheap reachability check for readiness probes.
    func ping() async throws

    /// The key the store seals audit records with; `audit verify` checks them with it.
    var auditKey: AuditKey { get }
}

public enum RotationCreation: Sendable {
    case created(RotationRecord)
    case alreadyOpen(RotationRecord)
}

extension StateStore {
    @discardableResult
    public func updateRotation(id: String, _ body: @Sendable (inout RotationRecord) throws -> Void) async throws -> RotationRecord {
        try await updateRotation(id: id, audit: nil, body)
    }
}

/// A state store that cannot do what was asked. Safe to show to a person.
public struct StateStoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "state store: \(message)" }
}

/// The state store failed underneath a step (busy, locked, disk). Not the step's failure: the
/// step is not marked failed and nothing is rolled back; the engine retries the rotation once the
/// store answers (steps are idempotent).
public struct StateStoreUnavailable: Error, Sendable, CustomStringConvertible {
    public let underlying: String
    public var description: String { "the state store did not answer (\(underlying))" }
}
