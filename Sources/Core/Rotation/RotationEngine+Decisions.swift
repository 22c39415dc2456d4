import Foundation

/// Approve, deny, cancel, expire: the two-person rule of SPEC §3.2.
extension RotationEngine {
    /// Refusal reasons are for the person who clicked; each is also an audit record.
    struct Refusal: Error { let reason: String }

    public func approve(rotationID: String, user: String) async throws -> DecisionOutcome {
        do {
            let record = try await openForDecision(rotationID, user: user, verb: "approve")
            guard !PersonName.same(user, record.requester) else {
                throw Refusal(reason: "You requested \(record.id); a second person from #\(deps.approvers.groupName) must approve it.")
            }
            guard try await deps.approvers.isApprover(user) else {
                throw Refusal(reason: "Only members of #\(deps.approvers.groupName) can approve rotations, and you are not one.")
            }
            guard let current = preview(secretName: record.secretID, leaked: record.leaked) else {
                throw Refusal(reason: "\(record.secretID) is no longer in the inventory (its Commands file is missing or broken); nothing was decided.")
            }
            guard current.plan.digest == record.planDigest else {
                throw Refusal(reason: "The plan for \(record.secretID) changed since \(record.id) was requested (its Commands file or settings changed). Request it again.")
            }
            let approved = try await decide(record.id, to: .approved, by: user, action: "rotation.approved")
            try await deps.state.finishTimer(id: "expiry-\(record.id)", status: .cancelled, note: "approved")
            await publishSnapshot(approved) { .decided($0) }
            // The leak notice pages two channels: only once a second person confirmed the request,
            // so an unapproved request cannot page the security team again and again.
            if approved.leaked { await publishSnapshot(approved) { .incident($0) } }
            enqueue(approved.id)
            return .accepted(try await snapshot(of: approved))
        } catch let refusal as Refusal {
            return try await refuse(rotationID, user: user, verb: "approve", reason: refusal.reason)
        }
    }

    public func deny(rotationID: String, user: String) async throws -> DecisionOutcome {
        do {
            let record = try await openForDecision(rotationID, user: user, verb: "deny")
            guard !PersonName.same(user, record.requester) else {
                throw Refusal(reason: "You requested \(record.id); to withdraw it, use `/rotate cancel \(record.id)`.")
            }
            guard try await deps.approvers.isApprover(user) else {
                throw Refusal(reason: "Only members of #\(deps.approvers.groupName) can deny rotations, and you are not one.")
            }
            let denied = try await decide(record.id, to: .denied, by: user, action: "rotation.denied")
            try await deps.state.finishTimer(id: "expiry-\(record.id)", status: .cancelled, note: "denied")
            await publishSnapshot(denied) { .decided($0) }
            return .accepted(try await snapshot(of: denied))
        } catch let refusal as Refusal {
            return try await refuse(rotationID, user: user, verb: "deny", reason: refusal.reason)
        }
    }

    /// `/rotate cancel <ID>`: the requester (or an approver) withdraws a request not yet running.
    public func cancel(rotationID: String, user: String) async throws -> DecisionOutcome {
        do {
            let record = try await openForDecision(rotationID, user: user, verb: "cancel")
            let isApprover = try await deps.approvers.isApprover(user)
            guard PersonName.same(user, record.requester) || isApprover else {
                throw Refusal(reason: "Only the requester or a member of #\(deps.approvers.groupName) can cancel \(record.id).")
            }
            let cancelled = try await decide(record.id, to: .cancelled, by: user, action: "rotation.cancelled")
            try await deps.state.finishTimer(id: "expiry-\(record.id)", status: .cancelled, note: "cancelled")
            await publishSnapshot(cancelled) { .decided($0) }
            return .accepted(try await snapshot(of: cancelled))
        } catch let refusal as Refusal {
            return try await refuse(rotationID, user: user, verb: "cancel", reason: refusal.reason)
        }
    }

    /// The rotation, if a decision on it is still possible; otherwise a refusal that says why.
    func openForDecision(_ rotationID: String, user: String, verb: String) async throws -> RotationRecord {
        let id = rotationID.uppercased()
        guard let record = try await deps.state.rotation(id: id) else {
            throw Refusal(reason: "There is no rotation \(rotationID.prefix(20)). `/rotate status` lists the open ones.")
        }
        switch record.status {
        case .awaitingApproval:
            break
        case .approved, .running, .verifying, .rollingBack:
            let by = record.decidedBy.map { " (approved by \($0))" } ?? ""
            throw Refusal(reason: "\(record.id) is already \(record.status.label)\(by); there is nothing to \(verb).")
        default:
            let by = record.decidedBy.map { " by \($0)" } ?? ""
            throw Refusal(reason: "\(record.id) is \(record.status.label)\(by); there is nothing to \(verb).")
        }
        if record.isExpired {
            _ = try await expire(record.id)
            throw Refusal(reason: "\(record.id) expired at \(Self.clock(record.expiresAt)) UTC without approval. Request it again with `/rotate \(record.secretID)`.")
        }
        return record
    }

    /// Moves an awaiting rotation to a decision, atomically with its audit record. A concurrent
    /// decision that got there first turns this one into a refusal.
    func decide(_ id: String, to status: RotationStatus, by user: String, action: String) async throws -> RotationRecord {
        try await deps.state.updateRotation(id: id, audit: { record in
            AuditEntry(actor: user, action: action, rotationID: record.id, secretID: record.secretID,
                       details: ["plan_digest": record.planDigest])
        }) { record in
            guard record.status == .awaitingApproval else {
                throw Refusal(reason: "\(record.id) was just decided by \(record.decidedBy ?? "someone else").")
            }
            record.status = status
            record.decidedBy = user
            record.decidedAt = Date()
            if status != .approved { record.finishedAt = Date() }
        }
    }

    func refuse(_ rotationID: String, user: String, verb: String, reason: String) async throws -> DecisionOutcome {
        let record = try? await deps.state.rotation(id: rotationID.uppercased())
        try await deps.state.appendAudit(AuditEntry(actor: user, action: "\(verb).refused", rotationID: record?.id,
                                                     secretID: record?.secretID, details: ["reason": reason]))
        return .refused(reason)
    }

    /// Expires a request nobody decided in time. Returns false when it was already decided.
    @discardableResult
    func expire(_ id: String) async throws -> Bool {
        do {
            let expired = try await deps.state.updateRotation(id: id, audit: { record in
                AuditEntry(actor: "aegis-rotate", action: "rotation.expired", rotationID: record.id, secretID: record.secretID)
            }) { record in
                guard record.status == .awaitingApproval else { throw Refusal(reason: "already decided") }
                record.status = .expired
                record.finishedAt = Date()
            }
            await publishSnapshot(expired) { .decided($0) }
            return true
        } catch is Refusal {
            return false
        }
    }

    static func clock(_ date: Date) -> String { Timestamps.clock(date) }
}
