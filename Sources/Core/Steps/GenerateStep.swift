import Foundation
/// `generate`: make the new value and stage it as pending. The version ID is written to the state
/// store *before* the value reaches the secret store, so a crash in between is repaired by
/// generating again under the same ID (nothing has used that value yet).
public struct GenerateStep: StepExecutor {
    public init() {}

    public func run(_ context: StepContext) async throws -> String {
        let secret = context.definition.storage
        var facts = try await context.recordOldVersion()
        let newVersion: String
        if let recorded = facts[FactKey.newVersion] {
            newVersion = recorded
        } else {
            newVersion = SecretGenerator.versionID()
            facts = try await context.recordFacts([FactKey.newVersion: newVersion])
        }
        if try await context.store.value(secret: secret, versionID: newVersion) != nil {
            return "new version \(newVersion) already staged"
        }
        let value = try SecretGenerator.generate(try SecretGenerator.format(of: context.step.definition))
        try await context.store.putPending(secret: secret, versionID: newVersion, value: value)
        return "staged new version \(newVersion) as pending (old: \(facts[FactKey.oldVersion] ?? "?"))"
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        guard let newVersion = context.facts[FactKey.newVersion] else { return nil }
        try await context.store.discardPending(secret: context.definition.storage, versionID: newVersion)
        return "discarded pending version \(newVersion)"
    }
}
