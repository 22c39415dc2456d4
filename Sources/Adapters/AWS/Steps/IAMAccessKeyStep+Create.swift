import AegisCore
import Foundation

/// `create` and its rollback.
///
/// Crash safety: the new version ID and the user's key IDs before the call are facts before
/// `CreateAccessKey`; the new key's ID is a fact right after it. On a re-run:
/// - the store has the new version → nothing to do;
/// - a key the user did not hold before exists but the store write was lost → its secret is
///   gone for good (IAM hands it out once), so that orphan key is deleted and a new one created.
///   Nothing can be using it: its secret was never stored anywhere.
extension IAMAccessKeyStep {
    func create(user: String, _ context: StepContext) async throws -> String {
        let secret = context.definition.storage
        var facts = try await context.recordOldVersion()
        if let version = facts[FactKey.newVersion],
           let stored = try await context.store.value(secret: secret, versionID: version) {
            let pair = try IAMAccessKeyPair(stored: stored, versionID: version)
            if facts[Fact.newKeyID] == nil { _ = try await context.recordFacts([Fact.newKeyID: pair.accessKeyID]) }
            return "new access key \(pair.accessKeyID) of \(user) already stored as version \(version)"
        }
        // The facts `recordOldVersion` returned: `context.facts` is the snapshot from before it.
        guard let oldVersion = facts[FactKey.oldVersion] else { throw StepError.storeInconsistent("no old version recorded") }
        let oldKeyID: String
        if let recorded = facts[Fact.oldKeyID] {
            oldKeyID = recorded
        } else {
            oldKeyID = try await Self.pair(context, version: oldVersion).accessKeyID
        }

        var keys = try await aws { () throws(AWSError) in try await iam.listAccessKeys(userName: user) }
        var note = ""
        if let before = facts[Fact.keysBefore] {
            let known = Set(before.split(separator: ",").map(String.init))
            let orphans = keys.filter { !known.contains($0.accessKeyID) }
            for orphan in orphans {
                try await deleteKey(orphan.accessKeyID, user: user)
            }
            if !orphans.isEmpty {
                note = "; deleted \(orphans.map(\.accessKeyID).joined(separator: ", ")) (created by an interrupted run, its secret was never stored)"
            }
            keys.removeAll { !known.contains($0.accessKeyID) }
        }
        guard keys.count < 2 else {
            throw StepError.refused("IAM user \(user) already holds two access keys (\(keys.map(\.accessKeyID).joined(separator: ", "))); " +
                                    "IAM allows two, so there is no room for a new one. Delete the one not in use, then rotate again. Nothing was changed.")
        }
        var intent: [String: String] = [Fact.oldKeyID: oldKeyID]
        if facts[Fact.keysBefore] == nil { intent[Fact.keysBefore] = keys.map(\.accessKeyID).joined(separator: ",") }
        let version = facts[FactKey.newVersion] ?? SecretGenerator.versionID()
        intent[FactKey.newVersion] = version
        facts = try await context.recordFacts(intent)

        let created = try await aws { () throws(AWSError) in try await iam.createAccessKey(userName: user) }
        facts = try await context.recordFacts([Fact.newKeyID: created.metadata.accessKeyID])
        let pair = IAMAccessKeyPair(accessKeyID: created.metadata.accessKeyID, secretAccessKey: created.secretAccessKey)
        try await context.store.putPending(secret: secret, versionID: version, value: try pair.stored())
        return "created access key \(created.metadata.accessKeyID) for \(user), stored as pending version \(version) (old key \(oldKeyID))" + note
    }

    /// Deletes the new key (and any key the user did not hold before: an interrupted run's),
    /// discards the pending version, and switches the old key back on if it was switched off.
    func undoCreate(user: String, _ context: StepContext) async throws -> String? {
        let facts = context.facts
        guard facts[Fact.keysBefore] != nil || facts[Fact.newKeyID] != nil else { return nil }
        var done: [String] = []
        let known = Set((facts[Fact.keysBefore] ?? "").split(separator: ",").map(String.init))
        let keys = try await aws { () throws(AWSError) in try await iam.listAccessKeys(userName: user) }
        var ours = Set(keys.map(\.accessKeyID).filter { !known.contains($0) && facts[Fact.keysBefore] != nil })
        if let newKey = facts[Fact.newKeyID], keys.contains(where: { $0.accessKeyID == newKey }) { ours.insert(newKey) }
        for key in ours.sorted() {
            try await deleteKey(key, user: user)
            done.append("deleted new access key \(key)")
        }
        if let version = facts[FactKey.newVersion] {
            try await context.store.discardPending(secret: context.definition.storage, versionID: version)
            done.append("discarded pending version \(version)")
        }
        if facts[Fact.oldDeactivated] != nil, let reactivated = try await reactivateOld(user: user, context) {
            done.append(reactivated)
        }
        return done.isEmpty ? nil : done.joined(separator: "; ")
    }

    /// `DeleteAccessKey`; a key already gone is fine (a re-run).
    func deleteKey(_ keyID: String, user: String) async throws {
        _ = try await onExistingKey { () throws(AWSError) in try await iam.deleteAccessKey(accessKeyID: keyID, userName: user) }
    }
}
