import AegisCore
import Foundation

/// `remove-old` and its rollback.
extension EntraClientSecretStep {
    /// With no grace (a leak response) the old password is removed now. Otherwise the removal is
    /// handed to `scheduleRemoval`, due after the grace period; the old secret keeps working until then.
    func removeOld(application: String, _ context: StepContext) async throws -> String {
        let oldKey = try context.requireFact(Fact.oldKeyID)
        guard oldKey != context.facts[Fact.newKeyID] else {
            throw StepError.storeInconsistent("the old and new versions name the same client secret \(oldKey)")
        }
        let grace = context.rotation.plan.grace ?? .zero
        if grace <= .zero {
            _ = try await context.recordFacts([Fact.removed: "yes"])
            let removed = try await azure { () throws(AzureError) in try await graph.removePasswordIfPresent(application: application, keyID: oldKey) }
            return removed
                ? "removed the old client secret \(oldKey) of application \(application) (no grace period); this cannot be undone"
                : "the old client secret \(oldKey) of application \(application) is already removed"
        }
        let due = context.facts[Fact.removalDue].flatMap(Timestamps.parseISO8601) ?? Date().addingTimeInterval(grace.timeInterval)
        let removal = EntraPasswordRemoval(id: EntraPasswordRemoval.id(rotationID: context.rotation.id, step: context.step.name),
                                           rotationID: context.rotation.id, application: application, keyID: oldKey, dueAt: due)
        _ = try await context.recordFacts([Fact.removalDue: Timestamps.iso8601(due)])
        try await scheduleRemoval(removal)
        return "the old client secret \(oldKey) keeps working for \(DurationText.format(grace)); its removal (which cannot be undone) is scheduled for \(Timestamps.iso8601(due))"
    }

    func undoRemoveOld(application: String, _ context: StepContext) async throws -> String? {
        if context.facts[Fact.removed] != nil, let oldKey = context.facts[Fact.oldKeyID] {
            return "the old client secret \(oldKey) was removed; Entra ID cannot bring it back"
        }
        guard context.facts[Fact.removalDue] != nil else { return nil }
        let id = EntraPasswordRemoval.id(rotationID: context.rotation.id, step: context.step.name)
        try await cancelRemoval(id)
        return "cancelled the scheduled removal \(id)"
    }
}
