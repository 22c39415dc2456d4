import AegisCore
import Foundation

/// `deactivate-old`, `delete-old-after-grace`, and their rollbacks.
extension IAMAccessKeyStep {
    func deactivateOld(user: String, _ context: StepContext) async throws -> String {
        let oldKey = try await oldKeyID(context)
        guard oldKey != context.facts[Fact.newKeyID] else {
            throw StepError.storeInconsistent("the old and new versions name the same access key \(oldKey)")
        }
        _ = try await context.recordFacts([Fact.oldKeyID: oldKey, Fact.oldDeactivated: "yes"])
        guard try await onExistingKey({ () throws(AWSError) in
            try await iam.updateAccessKey(accessKeyID: oldKey, status: .inactive, userName: user)
        }) else { return "old access key \(oldKey) of \(user) is already gone" }
        return "old access key \(oldKey) of \(user) is Inactive"
    }

    /// Sets the old key Active again (a no-op if it already is; a note if it was deleted).
    func reactivateOld(user: String, _ context: StepContext) async throws -> String? {
        guard context.facts[Fact.oldDeactivated] != nil, let oldKey = context.facts[Fact.oldKeyID] else { return nil }
        guard try await onExistingKey({ () throws(AWSError) in
            try await iam.updateAccessKey(accessKeyID: oldKey, status: .active, userName: user)
        }) else { return "old access key \(oldKey) of \(user) was deleted and cannot be switched back on" }
        return "old access key \(oldKey) of \(user) is Active again"
    }

    /// With no grace (a leak response, or a plan without grace) the old key is deleted now.
    /// Otherwise the deletion is handed to `scheduleDeletion`, due after the grace period: the old
    /// key stays Inactive until then, so it can still be switched back on if something breaks.
    func deleteOld(user: String, _ context: StepContext) async throws -> String {
        let oldKey = try await oldKeyID(context)
        let grace = context.rotation.plan.grace ?? .zero
        if grace <= .zero {
            _ = try await context.recordFacts([Fact.oldKeyID: oldKey, Fact.oldDeleted: "yes"])
            try await deleteKey(oldKey, user: user)
            return "old access key \(oldKey) of \(user) deleted (no grace period)"
        }
        let due = context.facts[Fact.oldDeletionDue].flatMap(Timestamps.parseISO8601) ?? Date().addingTimeInterval(grace.timeInterval)
        let deletion = IAMKeyDeletion(id: IAMKeyDeletion.id(rotationID: context.rotation.id, step: context.step.name),
                                      rotationID: context.rotation.id, userName: user, accessKeyID: oldKey, dueAt: due)
        _ = try await context.recordFacts([Fact.oldKeyID: oldKey, Fact.oldDeletionDue: Timestamps.iso8601(due)])
        try await scheduleDeletion(deletion)
        return "old access key \(oldKey) of \(user) stays Inactive for \(DurationText.format(grace)); deletion scheduled for \(Timestamps.iso8601(due))"
    }

    func undoDeleteOld(user: String, _ context: StepContext) async throws -> String? {
        if context.facts[Fact.oldDeleted] != nil, let oldKey = context.facts[Fact.oldKeyID] {
            return "old access key \(oldKey) of \(user) was deleted; IAM cannot bring it back"
        }
        guard context.facts[Fact.oldDeletionDue] != nil else { return nil }
        let id = IAMKeyDeletion.id(rotationID: context.rotation.id, step: context.step.name)
        try await cancelDeletion(id)
        return "cancelled the scheduled deletion \(id)"
    }
}
