import AegisCore
import Foundation

/// `add` and its rollback.
///
/// Crash safety: the old version, the old `keyId`, the new version ID and the marker display name
/// are facts before `addPassword`; the new `keyId` is a fact right after it. On a re-run:
/// - the store has the new version → nothing to do;
/// - a password carrying the marker exists but the store write was lost (or an `addPassword` that
///   answered 5xx created one anyway) → its secret is gone for good (Graph returns it once), so it
///   is removed and a new one added. Nothing can be using it: its secret was never stored.
extension EntraClientSecretStep {
    func add(application: String, _ context: StepContext) async throws -> String {
        let secret = context.definition.storage
        var facts = try await context.recordOldVersion()
        if let version = facts[FactKey.newVersion], try await vault.value(secret: secret, versionID: version) != nil {
            if facts[Fact.newKeyID] == nil, let keyID = try await vault.keyID(secret: secret, versionID: version) {
                _ = try await context.recordFacts([Fact.newKeyID: keyID])
            }
            return "new client secret \(facts[Fact.newKeyID] ?? "?") already stored as pending version \(version)"
        }
        guard let oldVersion = facts[FactKey.oldVersion] else { throw StepError.storeInconsistent("no old version recorded") }
        let marker = Self.marker(context)
        let credentials = try await azure { () throws(AzureError) in try await graph.passwordCredentials(application: application) }
        let oldKeyID: String
        if let recorded = facts[Fact.oldKeyID] {
            oldKeyID = recorded
        } else {
            oldKeyID = try await findOldKeyID(context, version: oldVersion, among: credentials, marker: marker)
        }

        var note = ""
        let orphans = credentials.filter { $0.displayName == marker && $0.keyID != oldKeyID }
        for orphan in orphans {
            _ = try await azure { () throws(AzureError) in try await graph.removePasswordIfPresent(application: application, keyID: orphan.keyID) }
        }
        if !orphans.isEmpty {
            note = "; removed \(orphans.map(\.keyID).joined(separator: ", ")) (added by an interrupted run, its secret was never stored)"
        }
        let version = facts[FactKey.newVersion] ?? SecretGenerator.versionID()
        facts = try await context.recordFacts([Fact.oldKeyID: oldKeyID, Fact.marker: marker, FactKey.newVersion: version])

        let validity = try context.step.definition.text(EntraParameters.validFor).map { try DurationText.parse($0) } ?? Self.defaultValidity
        let added = try await azure { () throws(AzureError) in
            try await graph.addPassword(application: application, displayName: marker, endDateTime: Date().addingTimeInterval(validity.timeInterval))
        }
        facts = try await context.recordFacts([Fact.newKeyID: added.keyID])
        try await vault.putPending(secret: secret, versionID: version, value: added.secretText, keyID: added.keyID)
        return "added client secret \(added.keyID) (\"\(marker)\") to application \(application), stored as pending version \(version) (old secret \(oldKeyID))" + note
    }

    /// The old secret's `keyId`: the tag on its Key Vault version, or (a secret made by hand) the
    /// one password whose `hint` matches its first three characters. Two matching passwords
    /// cannot be told apart, so that refuses before anything is changed.
    func findOldKeyID(_ context: StepContext, version: String, among credentials: [GraphPasswordCredential], marker: String) async throws -> String {
        let secret = context.definition.storage
        if let tagged = try await vault.keyID(secret: secret, versionID: version) { return tagged.lowercased() }
        guard let value = try await vault.value(secret: secret, versionID: version) else {
            throw StepError.storeInconsistent("the current version \(version) of \(secret.displayName) cannot be read")
        }
        let hint = String(value.revealSecretString().prefix(3))
        let matches = credentials.filter { $0.hint == hint && $0.displayName != marker }
        switch matches.count {
        case 1: return matches[0].keyID
        case 0:
            throw StepError.refused("the current secret in \(secret.displayName) (version \(version)) matches no password of the application; " +
                                    "nothing was changed. Check application_object_id, or store the app's live secret first.")
        default:
            throw StepError.refused("\(matches.count) passwords of the application (\(matches.map(\.keyID).joined(separator: ", "))) share the current secret's hint, " +
                                    "so the old keyId cannot be told; tag the current Key Vault version with aegis-key-id=<keyId>, then rotate again. Nothing was changed.")
        }
    }

    /// Removes the new password (and any other carrying this rotation's marker) and discards the
    /// pending version (Key Vault's latest is the old value again). The old password is never touched.
    func undoAdd(application: String, _ context: StepContext) async throws -> String? {
        let facts = context.facts
        guard facts[Fact.marker] != nil || facts[Fact.newKeyID] != nil else { return nil }
        let oldKeyID = facts[Fact.oldKeyID]
        let marker = facts[Fact.marker] ?? Self.marker(context)
        let credentials = try await azure { () throws(AzureError) in try await graph.passwordCredentials(application: application) }
        var ours = Set(credentials.filter { $0.displayName == marker }.map(\.keyID))
        if let newKey = facts[Fact.newKeyID], credentials.contains(where: { $0.keyID == newKey }) { ours.insert(newKey) }
        if let oldKeyID { ours.remove(oldKeyID) }
        var done: [String] = []
        for key in ours.sorted() {
            _ = try await azure { () throws(AzureError) in try await graph.removePasswordIfPresent(application: application, keyID: key) }
            done.append("removed new client secret \(key)")
        }
        if let version = facts[FactKey.newVersion] {
            try await vault.discardPending(secret: context.definition.storage, versionID: version)
            done.append("discarded pending version \(version) (the old secret is Key Vault's latest again)")
        }
        return done.isEmpty ? nil : done.joined(separator: "; ")
    }
}
