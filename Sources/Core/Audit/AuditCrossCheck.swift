/// What the audit log must hold for each rotation the state store keeps, given its status: the
/// state store says what happened, the keyed audit log proves it. A status written into the state
/// store without its records (an approval nobody gave, a rotation whose records were deleted) is
/// reported, and the engine refuses to act on it (``approvalProof(for:in:)``).
public enum AuditCrossCheck {
    /// The approval the engine needs before it runs anything: a `rotation.approved` record for
    /// this rotation, by its recorded approver, who is not its requester, for exactly its plan.
    public static func approvalProof(for record: RotationRecord, in bodies: [SealedAuditBody]) -> SealedAuditBody? {
        bodies.first {
            $0.action == AuditAction.approved && $0.rotationID == record.id && !PersonName.same($0.actor, record.requester)
                && $0.actor == record.decidedBy && $0.details["plan_digest"] == record.planDigest
        }
    }

    /// One sentence per rotation whose status its records do not support.
    public static func problems(rotations: [RotationRecord], records: [AuditRecord]) -> [String] {
        let bodies = records.compactMap(\.entry)
        var byRotation: [RotationID: [SealedAuditBody]] = [:]
        for body in bodies { if let id = body.rotationID { byRotation[id, default: []].append(body) } }
        var problems: [String] = []
        for record in rotations.sorted(by: { $0.number < $1.number }) {
            let own = byRotation[record.id] ?? []
            func has(_ action: AuditAction) -> Bool { own.contains { $0.action == action } }
            if !has(AuditAction.requested) {
                problems.append("\(record.id) (\(record.status.rawValue)) has no rotation.requested record")
            }
            let needsApproval: Set<RotationStatus> = [.approved, .running, .verifying, .completed, .rollingBack, .failed]
            if needsApproval.contains(record.status) || (record.status == .rolledBack && !has(AuditAction.failedBeforeStart) && !has(AuditAction.refusedUnproven)) {
                if approvalProof(for: record, in: own) == nil {
                    problems.append("\(record.id) is \(record.status.rawValue) but no rotation.approved record by an approver other than the requester, for its plan digest, proves it was approved")
                }
            }
            let ending: [RotationStatus: [AuditAction]] = [
                .completed: [AuditAction.completed], .rolledBack: [AuditAction.rolledBack, AuditAction.failedBeforeStart, AuditAction.refusedUnproven],
                .failed: [AuditAction.rollbackFailed, AuditAction.refusedUnproven], .denied: [AuditAction.denied],
                .cancelled: [AuditAction.cancelled], .expired: [AuditAction.expired],
            ]
            if let actions = ending[record.status], !actions.contains(where: has) {
                problems.append("\(record.id) is \(record.status.rawValue) but has none of the records that end a rotation so (\(actions.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        return problems
    }
}
