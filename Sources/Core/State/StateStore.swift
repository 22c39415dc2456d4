import Foundation

/// Durable state: rotations, steps, timers and the audit log. SQLite by default, PostgreSQL for
/// several replicas. Every method is a transaction; callers write state *before* side effects.
///
/// Every write made while ``LeaseContext/current`` is set checks and extends that lease in the
/// same transaction, and fails with ``LeaseLost`` (writing nothing) when it is no longer this
/// process's: a replica that lost a rotation cannot record progress for it. Audit appends are
/// serialized by the store itself, so the chain stays one chain whatever number of processes write.
public protocol StateStore: Sendable {
    /// Creates a rotation unless the secret already has an open one, atomically.
    /// `build` receives the next rotation number.
    func createRotation(
        secretID: String,
        audit: AuditEntry,
        build: @escaping @Sendable (Int) -> RotationRecord
    ) async throws -> RotationCreation

    func rotation(id: RotationID) async throws -> RotationRecord?
    func rotations(secretID: String) async throws -> [RotationRecord]
    func rotations(statuses: Set<RotationStatus>) async throws -> [RotationRecord]
    func latestRotations(limit: Int) async throws -> [RotationRecord]

    /// Reads, changes and writes one rotation in a transaction, with an optional audit entry
    /// appended in the same transaction. `body` may throw to abort without writing.
    @discardableResult
    func updateRotation(
        id: RotationID,
        audit: (@Sendable (RotationRecord) -> AuditEntry?)?,
        _ body: @escaping @Sendable (inout RotationRecord) throws -> Void
    ) async throws -> RotationRecord

    /// Writes a step's row and, in the same transaction, its audit record when given: a step is
    /// never recorded done without its `step.done` record, whoever holds the lease next.
    func saveStep(_ step: StepRecord, audit: AuditEntry?) async throws
    func steps(rotationID: RotationID) async throws -> [StepRecord]

    /// Inserts a timer; a timer with the same ID already there is kept as it is.
    func scheduleTimer(_ timer: TimerRecord) async throws
    func dueTimers(now: Date) async throws -> [TimerRecord]
    /// Marks a due timer as running; false when it is done, cancelled, or running under another
    /// replica's live lease. Called under the timer's lease (``LeaseName/timer(_:)``), which is
    /// what makes one replica fire it: a timer left running by a process that died is due again
    /// once its lease expired.
    func claimTimer(id: String, now: Date) async throws -> Bool
    /// Called once at start-up. A store only one process drives (SQLite) drops every lease and
    /// puts running timers back: their holder is this process's dead predecessor. A shared store
    /// (PostgreSQL) keeps them: other replicas may be alive, and expiry frees a dead one's.
    func releaseOrphanedClaims() async throws
    func finishTimer(id: String, status: TimerStatus, note: String?) async throws
    /// Puts a timer back to pending at a later time (after a failure).
    func rescheduleTimer(id: String, dueAt: Date, note: String?) async throws
    func timers(rotationID: RotationID) async throws -> [TimerRecord]
    /// When the earliest pending timer is due, or nil when none is pending.
    func nextTimerDue() async throws -> Date?
    /// Signalled whenever this process schedules, reschedules or releases a timer, so the
    /// scheduler sleeps until the next due time instead of polling.
    var timerChanges: WakeSignal { get }
    func pendingTimers(kind: TimerKind) async throws -> [TimerRecord]

    @discardableResult
    func appendAudit(_ entry: AuditEntry) async throws -> AuditRecord
    func auditRecords() async throws -> [AuditRecord]

    // MARK: Leases (one replica acts on each rotation and timer; see ``LeaseKeeper``)

    /// Takes the lease when nobody holds it, its holder's expired (by the store's clock), or
    /// `owner` already holds it; nil when another owner holds a live one.
    func acquireLease(_ name: LeaseName, owner: ReplicaOwner, ttl: Duration) async throws -> LeaseGrant?
    /// Extends a held lease by its TTL; throws ``LeaseLost`` when it expired or changed hands.
    func renewLease(_ grant: LeaseGrant) async throws
    /// Gives a held lease up (no-op when it is no longer this grant's).
    func releaseLease(_ grant: LeaseGrant) async throws
    /// The live leases, for status and tests.
    func liveLeases() async throws -> [LeaseRecord]

    /// Cheap reachability check for readiness probes.
    func ping() async throws

    /// The key the store seals audit records with; `audit verify` checks them with it.
    var auditKey: AuditKey { get }
}

/// A lease as the store keeps it.
public struct LeaseRecord: Sendable, Hashable {
    public let name: LeaseName
    public let owner: ReplicaOwner
    public let generation: Int64
    public let expiresAt: Date

    public init(name: LeaseName, owner: ReplicaOwner, generation: Int64, expiresAt: Date) {
        self.name = name
        self.owner = owner
        self.generation = generation
        self.expiresAt = expiresAt
    }
}

public enum RotationCreation: Sendable {
    case created(RotationRecord)
    case alreadyOpen(RotationRecord)
}

extension StateStore {
    public func saveStep(_ step: StepRecord) async throws { try await saveStep(step, audit: nil) }

    @discardableResult
    public func updateRotation(id: RotationID, _ body: @escaping @Sendable (inout RotationRecord) throws -> Void) async throws -> RotationRecord {
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
