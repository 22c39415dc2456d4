import Foundation

/// Approve, deny, cancel, expire: the two-person rule of SPEC §3.2.
extension RotationEngine {
    /// Refusal reasons are for the person who clicked; each is also an audit record.
    struct Refusal: Error { let reason: String }

    public func approve(rotationID: String, user: String) async throws -> DecisionOutcome {
        try await decide(.approve, rotationID: rotationID, user: user)
    }

    public func deny(rotationID: String, user: String) async throws -> DecisionOutcome {
        try await decide(.deny, rotationID: rotationID, user: user)
    }

    /// `/rotate cancel <ID>`: the requester (or an approver) withdraws a request not yet running.
    public func cancel(rotationID: String, user: String) async throws -> DecisionOutcome {
        try await decide(.cancel, rotationID: rotationID, user: user)
    }

    // The same decisions by a known ID (front ends that hold a record, and tests).
    public func approve(rotationID id: RotationID, user: String) async throws -> DecisionOutcome { try await approve(rotationID: id.rawValue, user: user) }
    public func deny(rotationID id: RotationID, user: String) async throws -> DecisionOutcome { try await deny(rotationID: id.rawValue, user: user) }
    public func cancel(rotationID id: RotationID, user: String) async throws -> DecisionOutcome { try await cancel(rotationID: id.rawValue, user: user) }

    /// Gathers the facts, applies ``DecisionPolicy``, and writes an allowed decision; every
    /// refusal is answered and audited.
    func decide(_ verb: DecisionVerb, rotationID: String, user: String) async throws -> DecisionOutcome {
        let record = try await rotation(typed: rotationID)
        let open = record?.status == .awaitingApproval
        let facts = DecisionFacts(
            verb: verb, rotationID: rotationID, record: record, user: user,
            userIsApprover: open ? try await deps.approvers.isApprover(user) : false,
            approverGroup: deps.approvers.groupName,
            currentPlanDigest: open && verb == .approve ? record.flatMap { preview(secretName: $0.secretID, leaked: $0.leaked)?.plan.digest } : nil,
            now: clock.now())
        switch DecisionPolicy.evaluate(facts) {
        case .refuse(let reason):
            return try await refuse(rotationID, user: user, verb: verb.rawValue, reason: reason)
        case .expired(let reason):
            if let record { _ = try await expire(record.id) }
            return try await refuse(rotationID, user: user, verb: verb.rawValue, reason: reason)
        case .allow:
            guard let record else { return try await refuse(rotationID, user: user, verb: verb.rawValue, reason: "no rotation") }
            let decided: RotationRecord
            do {
                decided = try await decide(record.id, to: verb.outcome, by: user, action: verb.auditAction)
            } catch let refusal as Refusal {
                return try await refuse(rotationID, user: user, verb: verb.rawValue, reason: refusal.reason)
            }
            try await deps.state.finishTimer(id: "expiry-\(record.id)", status: .cancelled, note: verb.outcome.rawValue)
            await publishSnapshot(decided) { .decided($0) }
            if verb == .approve {
                // The leak notice pages two channels: only once a second person confirmed the request,
                // so an unapproved request cannot page the security team again and again.
                if decided.leaked { await publishSnapshot(decided) { .incident($0) } }
                enqueue(decided.id)
            }
            return .accepted(try await snapshot(of: decided))
        }
    }

    /// Moves an awaiting rotation to a decision, atomically with its audit record. A concurrent
    /// decision that got there first turns this one into a refusal.
    func decide(_ id: RotationID, to status: RotationStatus, by user: String, action: AuditAction) async throws -> RotationRecord {
        try await deps.state.updateRotation(id: id, audit: { record in
            AuditEntry(actor: user, action: action, rotationID: record.id, secretID: record.secretID,
                       details: ["plan_digest": record.planDigest])
        }) { record in
            guard record.status == .awaitingApproval else {
                throw Refusal(reason: "\(record.id) was just decided by \(record.decidedBy ?? "someone else").")
            }
            record.status = status
            record.decidedBy = user
            record.decidedAt = self.clock.now()
            if status != .approved { record.finishedAt = self.clock.now() }
        }
    }

    func refuse(_ rotationID: String, user: String, verb: String, reason: String) async throws -> DecisionOutcome {
        let record = try? await rotation(typed: rotationID)
        try await deps.state.appendAudit(AuditEntry(actor: user, action: .refused(verb), rotationID: record?.id,
                                                     secretID: record?.secretID, details: ["reason": reason]))
        return .refused(reason)
    }

    /// The rotation a person named, if the text is a rotation ID and there is one by it.
    func rotation(typed text: String) async throws -> RotationRecord? {
        guard let id = RotationID(parsing: text) else { return nil }
        return try await deps.state.rotation(id: id)
    }

    /// Expires a request nobody decided in time. Returns false when it was already decided.
    @discardableResult
    func expire(_ id: RotationID) async throws -> Bool {
        do {
            let expired = try await deps.state.updateRotation(id: id, audit: { record in
                AuditEntry(actor: "aegis-rotate", action: .expired, rotationID: record.id, secretID: record.secretID)
            }) { record in
                guard record.status == .awaitingApproval else { throw Refusal(reason: "already decided") }
                record.status = .expired
                record.finishedAt = self.clock.now()
            }
            await publishSnapshot(expired) { .decided($0) }
            return true
        } catch is Refusal {
            return false
        }
    }
}
