import AegisCore
import Foundation

/// Deleting an old project key: at once when the plan has no grace (a leak response), otherwise
/// on a durable timer due after the grace period (``OpenAIKeyDeletionAction``). Used by both
/// strategies' last step. The deletion cannot be undone: OpenAI cannot restore a deleted key.
struct OpenAIKeyDeletion: Sendable {
    enum Fact {
        static func due(_ step: String) -> String { "openai.\(step).deletion-due" }
        static func deleted(_ step: String) -> String { "openai.\(step).deleted" }
    }

    let openai: OpenAIClient
    let schedule: @Sendable (TimerRecord) async throws -> Void
    let cancel: @Sendable (String) async throws -> Void

    static func timerID(rotationID: RotationID, step: String) -> String { "openai-delete-\(rotationID)-\(step)" }

    /// Deletes `keyID` now, or schedules its deletion. Facts first, then the side effect.
    func remove(keyID: String, project: String, _ context: StepContext) async throws -> String {
        let step = context.step.name
        let grace = context.rotation.plan.grace ?? .zero
        if grace <= .zero {
            _ = try await context.recordFacts([Fact.deleted(step): keyID])
            let existed = try await OpenAIKeyValues.call { () throws(OpenAIError) in try await openai.deleteProjectKey(project: project, keyID: keyID) }
            return existed
                ? "deleted the old key \(keyID) at OpenAI at once (no grace period); this cannot be undone"
                : "the old key \(keyID) was already deleted at OpenAI"
        }
        let due = context.facts[Fact.due(step)].flatMap(Timestamps.parseISO8601) ?? Date().addingTimeInterval(grace.timeInterval)
        _ = try await context.recordFacts([Fact.due(step): Timestamps.iso8601(due)])
        try await schedule(DeferredActionRegistry.timer(
            id: Self.timerID(rotationID: context.rotation.id, step: step), action: OpenAIKeyDeletionAction.name,
            rotationID: context.rotation.id, dueAt: due, payload: ["project": project, "key_id": keyID]))
        return "the old key \(keyID) keeps working for \(DurationText.format(grace)); its deletion is scheduled for " +
            "\(Timestamps.iso8601(due)) and cannot be undone once done"
    }

    /// Cancels a scheduled deletion; says so when the key is already gone.
    func undo(_ context: StepContext, keyID: String?) async throws -> String? {
        let step = context.step.name
        if let deleted = context.facts[Fact.deleted(step)] {
            return "the old key \(deleted) was deleted at OpenAI and cannot be restored; make a new key"
        }
        guard context.facts[Fact.due(step)] != nil else { return nil }
        let id = Self.timerID(rotationID: context.rotation.id, step: step)
        try await cancel(id)
        return "cancelled the scheduled deletion of the old key\(keyID.map { " \($0)" } ?? "")"
    }
}

/// The durable timer's half: deletes the project key named in the payload (idempotent: a key
/// already gone is reported, not an error).
struct OpenAIKeyDeletionAction: DeferredAction {
    static let name = "openai-delete-project-key"
    let openai: OpenAIClient

    func perform(payload: [String: String]) async throws -> String {
        guard let project = payload["project"], let keyID = payload["key_id"] else {
            throw StepError.misconfigured("the OpenAI deletion timer lacks project or key_id")
        }
        let existed = try await OpenAIKeyValues.call { () throws(OpenAIError) in try await openai.deleteProjectKey(project: project, keyID: keyID) }
        return existed
            ? "deleted the old OpenAI key \(keyID) after the grace period; this cannot be undone"
            : "the old OpenAI key \(keyID) was already deleted"
    }
}
