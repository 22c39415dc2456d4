import Foundation
import Logging

/// `/rotate ack <ID>` and `/rotate resolve <ID>`: a member of the approver group answers an
/// escalation; a later successful rotation of the same secret resolves the earlier ones.
extension RotationEngine {
    public func respond(_ response: EscalationResponse, rotationID text: String, user: String) async throws -> DecisionOutcome {
        let verb = "escalation.\(response.rawValue)"
        guard let record = try await rotation(typed: text) else {
            return try await refuse(text, user: user, verb: verb, reason: "There is no rotation \(text.prefix(20)).")
        }
        guard record.escalated else {
            return try await refuse(text, user: user, verb: verb, reason: "\(record.id) did not escalate (it is \(record.status.label)); there is nothing to \(response == .resolved ? "resolve" : "acknowledge").")
        }
        guard try await deps.approvers.isApprover(user) else {
            return try await refuse(text, user: user, verb: verb, reason: "Only members of #\(deps.approvers.groupName) may answer an escalation.")
        }
        if let handled = record.escalationHandling, handled.response == .resolved || handled.response == response {
            return try await refuse(text, user: user, verb: verb,
                                    reason: "\(record.id)'s escalation was already \(handled.response.rawValue) by \(handled.by).")
        }
        let updated = try await recordResponse(response, of: record.id, by: user, resolvedBy: nil)
        return .accepted(try await snapshot(of: updated))
    }

    /// After `completed` succeeded: every earlier rotation of the secret whose escalation is still
    /// open is resolved by it (a leak's incident excepted: a person closes that one).
    func resolveEarlierEscalations(after completed: RotationRecord) async {
        do {
            let earlier = try await deps.state.rotations(secretID: completed.secretID)
                .filter { $0.id != completed.id && $0.escalationOpen && !$0.leaked && $0.requestedAt <= completed.requestedAt }
            for record in earlier {
                _ = try await recordResponse(.resolved, of: record.id, by: "aegis-rotate", resolvedBy: completed.id)
            }
        } catch {
            logger.error("could not resolve earlier escalations", metadata: [
                "rotation.id": "\(completed.id)", "error": "\(Self.safeDescription(error))",
            ])
        }
    }

    func recordResponse(_ response: EscalationResponse, of id: RotationID, by user: String, resolvedBy: RotationID?) async throws -> RotationRecord {
        let now = clock.now()
        let updated = try await deps.state.updateRotation(id: id, audit: { record in
            var details = ["status": record.status.rawValue]
            if let resolvedBy { details["resolved_by_rotation"] = resolvedBy.rawValue }
            return AuditEntry(actor: user, action: response.auditAction, rotationID: record.id, secretID: record.secretID, details: details)
        }) {
            $0.escalationHandling = EscalationHandling(response: response, by: user, at: now, resolvedByRotation: resolvedBy)
        }
        await publishSnapshot(updated) { .escalationHandled($0, updated.escalationHandling ?? EscalationHandling(response: response, by: user, at: now)) }
        return updated
    }
}
