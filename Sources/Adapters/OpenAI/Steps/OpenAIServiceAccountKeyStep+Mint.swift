import AegisCore
import Foundation

/// `mint` and its rollback.
///
/// Crash safety (the IAM pattern): the new version ID, the old key's ID and the service
/// account's key IDs before the call are facts before the `POST`; the new key's ID is a fact
/// right after it, before the value is stored. On a re-run:
/// - the store has the new version → nothing to do;
/// - a key the service account did not hold before exists but the store write was lost → its
///   value is gone for good (OpenAI returns it once), so that orphan is deleted and a new key
///   minted. Nothing can be using it: its value was never stored anywhere.
extension OpenAIServiceAccountKeyStep {
    func mint(project: String, account: String, _ context: StepContext) async throws -> String {
        let secret = context.definition.storage
        var facts = try await context.recordOldVersion()
        if let version = facts[FactKey.newVersion], try await context.store.value(secret: secret, versionID: version) != nil {
            return "the new key \(facts[Fact.newKeyID] ?? "?") of \(account) is already stored as version \(version)"
        }
        guard let oldVersion = facts[FactKey.oldVersion] else { throw StepError.storeInconsistent("no old version recorded") }
        let oldValue = try await context.storedValue(version: oldVersion, role: "old key")

        var keys = try await accountKeys(project: project, account: account)
        var note = ""
        if let before = facts[Fact.keysBefore] {
            let known = Set(before.split(separator: ",").map(String.init))
            let orphans = keys.filter { !known.contains($0.id) }
            for orphan in orphans {
                _ = try await OpenAIKeyValues.call { () throws(OpenAIError) in try await openai.deleteProjectKey(project: project, keyID: orphan.id) }
            }
            if !orphans.isEmpty {
                note = "; deleted \(orphans.map(\.id).joined(separator: ", ")) (minted by an interrupted run, its value was never stored)"
            }
            keys.removeAll { !known.contains($0.id) }
        }
        guard let oldKey = facts[Fact.oldKeyID] ?? Self.oldKey(among: keys, oldValue: oldValue) else {
            throw StepError.refused("cannot tell which key of service account \(account) is the stored one (it holds \(keys.count) keys " +
                                    "and none matches the stored key's redacted value); nothing was changed")
        }
        var intent: [String: String] = [Fact.oldKeyID: oldKey]
        if facts[Fact.keysBefore] == nil { intent[Fact.keysBefore] = keys.map(\.id).joined(separator: ",") }
        let version = facts[FactKey.newVersion] ?? SecretGenerator.versionID()
        intent[FactKey.newVersion] = version
        facts = try await context.recordFacts(intent)

        let minted = try await OpenAIKeyValues.call { () throws(OpenAIError) in
            try await openai.createServiceAccountKey(project: project, serviceAccount: account, name: "aegis-rotate \(context.rotation.id)")
        }
        facts = try await context.recordFacts([Fact.newKeyID: minted.id])
        try await context.store.putPending(secret: secret, versionID: version, value: minted.value)
        return "minted key \(minted.id) for service account \(account), stored as pending version \(version) (old key \(oldKey))" + note
    }

    /// The stored key's ID: the one whose redacted value matches, else the only key there is.
    static func oldKey(among keys: [OpenAIProjectKey], oldValue: SecretValue) -> String? {
        let matching = keys.filter { $0.matches(oldValue) }
        if matching.count == 1 { return matching[0].id }
        if matching.isEmpty, keys.count == 1 { return keys[0].id }
        return nil
    }

    /// Deletes the new key (and any key the service account did not hold before: an interrupted
    /// run's) and discards the pending version. The old key is never touched.
    func undoMint(project: String, account: String, _ context: StepContext) async throws -> String? {
        let facts = context.facts
        guard let before = facts[Fact.keysBefore] else { return nil }
        let known = Set(before.split(separator: ",").map(String.init))
        let keys = try await accountKeys(project: project, account: account)
        var done: [String] = []
        for key in keys where !known.contains(key.id) && key.id != facts[Fact.oldKeyID] {
            _ = try await OpenAIKeyValues.call { () throws(OpenAIError) in try await openai.deleteProjectKey(project: project, keyID: key.id) }
            done.append("deleted the new key \(key.id)")
        }
        if let version = facts[FactKey.newVersion] {
            try await context.store.discardPending(secret: context.definition.storage, versionID: version)
            done.append("discarded pending version \(version)")
        }
        return done.isEmpty ? nil : done.joined(separator: "; ")
    }
}
