import Foundation
/// `promote`: the new version becomes `current` in the store; the old one becomes `previous`.
public struct PromoteStep: StepExecutor {
    public init() {}

    public func run(_ context: StepContext) async throws -> String {
        let newVersion = try context.requireFact(FactKey.newVersion)
        try await context.store.makeCurrent(secret: context.definition.storage, versionID: newVersion)
        return "\(context.definition.storage.name): current = \(newVersion), previous = \(context.facts[FactKey.oldVersion] ?? "?")"
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let oldVersion = try context.requireFact(FactKey.oldVersion)
        guard let current = try await context.store.version(secret: context.definition.storage, stage: .current),
              current.versionID != oldVersion else { return nil }
        try await context.store.makeCurrent(secret: context.definition.storage, versionID: oldVersion)
        return "\(context.definition.storage.name): current moved back to \(oldVersion)"
    }
}
