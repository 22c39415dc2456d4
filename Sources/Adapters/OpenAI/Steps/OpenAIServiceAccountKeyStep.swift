import AegisCore
import Foundation

/// `openai-service-account-key` (params `project`, `service_account`, `phase`): the service
/// account holds two keys for a while, in two phases a Commands file places around promote /
/// restart / verify:
///
/// - `mint`: a new key for the service account, stored as the pending version (the raw key);
/// - `delete-old`: after verification, the old key is deleted: at once with no grace (a leak
///   response), otherwise by a durable timer after the grace period. Cannot be undone.
///
/// Facts (written before each side effect) hold key IDs and version IDs only.
struct OpenAIServiceAccountKeyStep: StepExecutor {
    enum Fact {
        /// Comma-separated IDs of the keys the service account held before `mint`.
        static let keysBefore = "openai.sa.keys-before"
        static let newKeyID = "openai.sa.key.new"
        static let oldKeyID = "openai.sa.key.old"
    }

    enum Phase: String, Sendable, CaseIterable {
        case mint
        case deleteOld = "delete-old"
    }

    let openai: OpenAIClient
    let deletion: OpenAIKeyDeletion

    func run(_ context: StepContext) async throws -> String {
        let project = try OpenAIKeyValues.parameter(context, "project")
        let account = try OpenAIKeyValues.parameter(context, "service_account")
        switch try Self.phase(context) {
        case .mint: return try await mint(project: project, account: account, context)
        case .deleteOld: return try await deleteOld(project: project, context)
        }
    }

    func rollback(_ context: StepContext) async throws -> String? {
        let project = try OpenAIKeyValues.parameter(context, "project")
        let account = try OpenAIKeyValues.parameter(context, "service_account")
        switch try Self.phase(context) {
        case .mint: return try await undoMint(project: project, account: account, context)
        case .deleteOld: return try await deletion.undo(context, keyID: context.facts[Fact.oldKeyID])
        }
    }

    static func phase(_ context: StepContext) throws -> Phase {
        guard let text = context.step.definition.text("phase"), let phase = Phase(rawValue: text) else {
            throw StepError.misconfigured("step '\(context.step.name)' needs a phase: " + Phase.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return phase
    }

    /// Load-time rules: both IDs in OpenAI's shapes, a known phase, and `delete-old` (which
    /// cannot be undone) after a verify step. The type as a whole is not `irreversible`, since
    /// its `mint` phase comes before verification, so this phase's rule is checked here.
    static func validate(_ step: StepDefinition, _ definition: SecretDefinition) throws(ParameterProblem) {
        try OpenAIIDRules.id(step, "project", prefix: "proj_")
        try OpenAIIDRules.id(step, "service_account", prefix: "svc_acct_")
        guard let text = step.text("phase"), let phase = Phase(rawValue: text) else {
            throw ParameterProblem(key: "phase", "is required: " + Phase.allCases.map(\.rawValue).joined(separator: " or "))
        }
        guard phase == .deleteOld else { return }
        for steps in definition.strategies.values {
            guard let index = steps.firstIndex(where: { $0.line == step.line && $0.name == step.name }) else { continue }
            guard steps[..<index].contains(where: { $0.kind == .verify }) else {
                throw ParameterProblem(key: "phase", "'delete-old' cannot be undone, so it must come after a verify step")
            }
        }
    }

    /// The service account's live keys.
    func accountKeys(project: String, account: String) async throws -> [OpenAIProjectKey] {
        try await OpenAIKeyValues.call { () throws(OpenAIError) in
            try await openai.projectKeys(project: project).filter { $0.serviceAccountID == account }
        }
    }

    func deleteOld(project: String, _ context: StepContext) async throws -> String {
        guard let oldKey = context.facts[Fact.oldKeyID] else {
            throw StepError.misconfigured("step '\(context.step.name)' needs the old key's ID, which the mint phase records")
        }
        guard oldKey != context.facts[Fact.newKeyID] else {
            throw StepError.storeInconsistent("the old and new versions name the same OpenAI key \(oldKey)")
        }
        return try await deletion.remove(keyID: oldKey, project: project, context)
    }
}
