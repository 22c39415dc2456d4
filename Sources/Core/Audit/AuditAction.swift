/// What an audit record says happened. Every action the bot records is a constant here, so a
/// reader finds each by name, and a check such as ``AuditCrossCheck`` cannot misspell one. The
/// raw value is what the sealed record holds (`rotation.approved`).
public struct AuditAction: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    // MARK: A rotation's life

    public static let requested = AuditAction(rawValue: "rotation.requested")
    public static let approved = AuditAction(rawValue: "rotation.approved")
    public static let denied = AuditAction(rawValue: "rotation.denied")
    public static let cancelled = AuditAction(rawValue: "rotation.cancelled")
    public static let expired = AuditAction(rawValue: "rotation.expired")
    public static let completed = AuditAction(rawValue: "rotation.completed")
    public static let rolledBack = AuditAction(rawValue: "rotation.rolled-back")
    public static let rollbackFailed = AuditAction(rawValue: "rotation.rollback-failed")
    public static let failedBeforeStart = AuditAction(rawValue: "rotation.failed")
    /// The engine refused to run a rotation whose approval or plan it could not prove.
    public static let refusedUnproven = AuditAction(rawValue: "rotation.refused")
    /// The approved plan differs from what the inventory now gives; the rotation was rolled back.
    public static let planChanged = AuditAction(rawValue: "rotation.plan-changed")

    // MARK: Refusals of what a person asked

    public static let requestRefused = AuditAction(rawValue: "request.refused")
    /// `approve.refused`, `deny.refused`, `cancel.refused`, `provide-key.refused`.
    public static func refused(_ verb: String) -> AuditAction { AuditAction(rawValue: "\(verb).refused") }

    // MARK: Steps

    public static let stepDone = AuditAction(rawValue: "step.done")
    public static let stepFailed = AuditAction(rawValue: "step.failed")
    public static let stepRolledBack = AuditAction(rawValue: "step.rolled-back")
    public static let stepRollbackFailed = AuditAction(rawValue: "step.rollback-failed")
    public static let keyProvided = AuditAction(rawValue: "key.provided")

    // MARK: Timers and the rest

    public static let graceCleanupStarted = AuditAction(rawValue: "grace.cleanup.started")
    public static let graceCleanup = AuditAction(rawValue: "grace.cleanup")
    /// A provider adapter's deferred action ran (`deferred.<name>`).
    public static func deferred(_ name: String) -> AuditAction { AuditAction(rawValue: "deferred.\(name)") }
    public static let overdue = AuditAction(rawValue: "due.overdue")
    /// A person (or a later successful rotation) acknowledged or resolved an escalation.
    public static let escalationAcknowledged = AuditAction(rawValue: "escalation.acknowledged")
    public static let escalationResolved = AuditAction(rawValue: "escalation.resolved")
    public static let sandboxSeeded = AuditAction(rawValue: "sandbox.seeded")
    /// A chat message that could not be delivered before shutdown.
    public static let chatUndelivered = AuditAction(rawValue: "chat.undelivered")
}
