import AegisCore
import Foundation

/// `openai-key-delete` (param `project`; strategy `console-key`): after verification, the old
/// user key is deleted with the Admin API. Its ID is found by listing the project's keys and
/// matching `redacted_value` against the old value (and not the new one). Like the
/// service-account strategy it waits out the grace period on a durable timer, so the old key
/// still works while the new one settles; with no grace (a leak response) it goes at once.
struct OpenAIKeyDeleteStep: StepExecutor {
    static let oldKeyFact = "openai.console.key.old"
    let openai: OpenAIClient
    let deletion: OpenAIKeyDeletion

    static func validate(_ step: StepDefinition, _ definition: SecretDefinition) throws(ParameterProblem) {
        try OpenAIIDRules.id(step, "project", prefix: "proj_")
    }

    func run(_ context: StepContext) async throws -> String {
        let project = try OpenAIKeyValues.parameter(context, "project")
        let oldKey: String
        if let recorded = context.facts[Self.oldKeyFact] {
            oldKey = recorded
        } else {
            let old = try await context.storedValue(fact: FactKey.oldVersion, role: "old key")
            let new = try await context.storedValue(fact: FactKey.newVersion, role: "new key")
            let keys = try await OpenAIKeyValues.call { () throws(OpenAIError) in try await openai.projectKeys(project: project) }
            let matching = keys.filter { $0.matches(old) && !$0.matches(new) }
            guard !matching.isEmpty else {
                return "no key of project \(project) matches the old key any more (deleted already); nothing to delete"
            }
            guard matching.count == 1 else {
                throw StepError.refused("\(matching.count) keys of project \(project) match the old key's redacted value " +
                                        "(\(matching.map(\.id).joined(separator: ", "))); delete the old one in the dashboard. Nothing was deleted.")
            }
            oldKey = matching[0].id
            _ = try await context.recordFacts([Self.oldKeyFact: oldKey])
        }
        return try await deletion.remove(keyID: oldKey, project: project, context)
    }

    func rollback(_ context: StepContext) async throws -> String? {
        try await deletion.undo(context, keyID: context.facts[Self.oldKeyFact])
    }
}
