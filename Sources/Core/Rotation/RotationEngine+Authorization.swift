import Foundation
import Logging

/// What runs is what was approved (SPEC §6). Before the engine acts on a rotation (first run,
/// resume after a restart, rollback) it checks, against the state store it does not trust:
///
/// 1. the keyed audit chain verifies, and holds a `rotation.approved` record for this rotation by
///    its recorded approver (not the requester) for exactly its plan digest: a status written into
///    the state store by hand is never acted on;
/// 2. the stored plan still has that digest, and the definition frozen at request time produces
///    it: the engine runs (and rolls back) that definition, never the Commands file as it is now;
/// 3. the Commands file still produces the approved plan: if it changed (a new configmap, another
///    store), the rotation does not go on; what already ran is rolled back with the frozen
///    definition, and the thread says why.
extension RotationEngine {
    enum Authorization {
        case run(SecretDefinition)
        case rollBack(SecretDefinition, reason: String)
        case refuse(reason: String)
    }

    func authorize(_ record: RotationRecord) async throws -> Authorization {
        let records = try await deps.state.auditRecords()
        guard case .intact = AuditChain.verify(records, key: deps.state.auditKey) else {
            return .refuse(reason: "the audit log does not verify (`aegis-rotate audit verify` says where); nothing is run on a log that may be forged")
        }
        guard AuditCrossCheck.approvalProof(for: record, in: records.compactMap(\.entry)) != nil else {
            return .refuse(reason: "the state store says \(record.id) is \(record.status.label), but no approval record in the audit log proves that an approver other than the requester approved this plan")
        }
        guard record.plan.digest == record.planDigest else {
            return .refuse(reason: "the stored plan of \(record.id) no longer matches the digest that was approved")
        }
        let current = deps.inventory.definition(named: record.secretID)
        let currentMatches = current.map { planBuilder.plan(for: $0, leaked: record.leaked).digest == record.planDigest } ?? false
        let frozenMatches = record.definition.map { planBuilder.plan(for: $0, leaked: record.leaked).digest == record.planDigest } ?? false
        guard let trusted = frozenMatches ? record.definition : (currentMatches ? current : nil) else {
            return .refuse(reason: "neither the definition kept with \(record.id) nor the Commands file produces the approved plan")
        }
        if !currentMatches {
            let why = current == nil ? "its Commands file is gone" : "its Commands file or settings changed"
            return .rollBack(trusted, reason: "the approved plan is no longer what the inventory says (\(why) after approval)")
        }
        return .run(trusted)
    }

    /// Nothing is run or undone: a human must look. Recorded, and escalated.
    func refuseUnproven(_ record: RotationRecord, reason: String, logger: Logger) async throws {
        logger.critical("refused to act on a rotation", metadata: ["reason": "\(reason)"])
        try await endUnrun(record, as: .failed, failure: "refused to run: \(reason)", reason: reason,
                           restored: "nothing was run or undone; someone may have edited the state store or the audit log",
                           action: record.definition?.escalation ?? "Check the state store and the audit log before anything else.")
    }

    /// Ends a rotation the engine will not run, with a `rotation.refused` record and an escalation.
    func endUnrun(_ record: RotationRecord, as status: RotationStatus, failure: String, reason: String,
                  restored: String, action: String) async throws {
        let ended = try await deps.state.updateRotation(id: record.id, audit: { record in
            AuditEntry(actor: "aegis-rotate", action: .refusedUnproven, rotationID: record.id, secretID: record.secretID,
                       details: ["reason": reason])
        }) {
            $0.status = status
            $0.failure = failure
            $0.finishedAt = self.clock.now()
        }
        await publishSnapshot(ended) {
            .finished($0, escalation: Escalation(rotationID: record.id, secretID: record.secretID, whatFailed: failure,
                                                 whatWasRestored: [restored], action: action))
        }
    }

    /// The plan changed after approval: roll back what ran (nothing, if nothing ran yet) with the
    /// definition that was approved.
    func abandonChangedPlan(_ record: RotationRecord, definition: SecretDefinition, reason: String, logger: Logger) async throws {
        let steps = try await deps.state.steps(rotationID: record.id)
        let anythingRan = steps.contains { $0.status != .pending }
        if !anythingRan && record.status != .rollingBack {
            logger.error("approved plan changed before it ran; not run", metadata: ["reason": "\(reason)"])
            try await endUnrun(record, as: .rolledBack, failure: "not run: \(reason)", reason: reason,
                               restored: "nothing had changed", action: "Request the rotation again if the new plan is intended.")
            return
        }
        var rolling = record
        if record.status != .rollingBack {
            rolling = try await deps.state.updateRotation(id: record.id, audit: { record in
                AuditEntry(actor: "aegis-rotate", action: .planChanged, rotationID: record.id, secretID: record.secretID,
                           details: ["reason": reason])
            }) {
                $0.status = .rollingBack
                $0.failure = reason
            }
            logger.error("approved plan changed mid-rotation; rolling back", metadata: ["reason": "\(reason)"])
            await publishSnapshot(rolling) { .rollbackStarted($0, reason: reason) }
        }
        try await runRollback(rolling, definition: definition, logger: logger)
    }
}
