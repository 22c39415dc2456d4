import Foundation

/// The modal path of a human step: the value goes straight from the chat front end into the
/// secret store as a pending version; the waiting step picks it up. The value is never written
/// to the state store, the audit log or a log line.
extension RotationEngine {
    public func provideKey(rotationID: String, user: String, value: SecretValue) async throws -> DecisionOutcome {
        guard let id = RotationID(parsing: rotationID), let record = try await deps.state.rotation(id: id),
              let definition = deps.inventory.definition(named: record.secretID) else {
            return try await refuse(rotationID, user: user, verb: "provide-key", reason: "There is no rotation \(rotationID.prefix(20)).")
        }
        let steps = try await deps.state.steps(rotationID: id)
        let waiting = record.plan.steps.contains { $0.kind == .awaitProvidedKey && steps[$0.index].status == .running }
        guard record.status == .running, waiting else {
            return try await refuse(id.rawValue, user: user, verb: "provide-key", reason: "\(id) is not waiting for a key (it is \(record.status.label)).")
        }
        guard user == record.requester else {
            return try await refuse(id.rawValue, user: user, verb: "provide-key", reason: "Only \(record.requester), who requested \(id), can hand over its new key.")
        }
        guard !value.isEmpty, value.byteCount <= 8_192 else {
            return try await refuse(id.rawValue, user: user, verb: "provide-key", reason: "That key is empty or too long.")
        }
        let store = try deps.adapters.secretStore(for: definition)
        if let pending = try await store.version(secret: definition.storage, stage: .pending),
           pending.versionID != record.facts[FactKey.oldVersion] {
            return try await refuse(id.rawValue, user: user, verb: "provide-key", reason: "\(id) already received a new key (version \(pending.versionID)).")
        }
        let versionID = SecretGenerator.versionID()
        try await deps.state.appendAudit(AuditEntry(actor: user, action: .keyProvided, rotationID: id, secretID: record.secretID,
                                                     details: ["version": versionID, "path": "modal"]))
        try await store.putPending(secret: definition.storage, versionID: versionID, value: value)
        return .accepted(try await snapshot(of: record))
    }
}
