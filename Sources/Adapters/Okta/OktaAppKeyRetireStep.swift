import AegisCore
import Foundation

/// `okta-app-jwk-retire` (param `app_id`), after verification: the old JWK is deactivated and
/// deleted, which cannot be undone (registered irreversible, so it must follow `verify`).
///
/// With no grace (a leak response, or a plan without grace) it happens now. Otherwise an
/// ``OktaJWKRetirement`` is handed to a durable timer due after the grace period, and the old key
/// pair keeps working until then (its JWK stays active), so whatever still signs with it does not
/// break mid-switch.
struct OktaAppKeyRetireStep: StepExecutor {
    let keys: OktaAppKeys
    let schedule: @Sendable (OktaJWKRetirement) async throws -> Void
    let cancel: @Sendable (String) async throws -> Void

    func run(_ context: StepContext) async throws -> String {
        let app = try OktaAppKeys.app(context)
        let (oldKeyID, oldKid) = try await oldJWK(app: app, context)
        guard oldKeyID != context.facts[OktaAppKeyFact.newKeyID] else {
            throw StepError.storeInconsistent("the old and new versions name the same JWK \(oldKeyID)")
        }
        let grace = context.rotation.plan.grace ?? .zero
        if grace <= .zero {
            _ = try await context.recordFacts([OktaAppKeyFact.oldKeyID: oldKeyID, OktaAppKeyFact.oldRetired: "yes"])
            let okta = keys.okta, admin = keys.admin
            let deleted = try await keys.call { () throws(OktaError) in try await okta.retireJWK(app: app, id: oldKeyID, admin: admin) }
            return deleted
                ? "deactivated and deleted old JWK \(oldKeyID) (kid \(oldKid)) of service app \(app), no grace period; this cannot be undone"
                : "old JWK \(oldKeyID) (kid \(oldKid)) of service app \(app) is already deleted"
        }
        let due = context.facts[OktaAppKeyFact.oldRetireDue].flatMap(Timestamps.parseISO8601) ?? Date().addingTimeInterval(grace.timeInterval)
        let retirement = OktaJWKRetirement(id: OktaJWKRetirement.id(rotationID: context.rotation.id, step: context.step.name),
                                           rotationID: context.rotation.id, app: app, keyID: oldKeyID, kid: oldKid, dueAt: due)
        _ = try await context.recordFacts([OktaAppKeyFact.oldKeyID: oldKeyID, OktaAppKeyFact.oldRetireDue: Timestamps.iso8601(due)])
        try await schedule(retirement)
        return "old JWK \(oldKeyID) (kid \(oldKid)) of service app \(app) stays active for \(DurationText.format(grace)); " +
            "its deactivation and deletion (cannot be undone) is scheduled for \(Timestamps.iso8601(due))"
    }

    func rollback(_ context: StepContext) async throws -> String? {
        if context.facts[OktaAppKeyFact.oldRetired] != nil, let oldKeyID = context.facts[OktaAppKeyFact.oldKeyID] {
            return "old JWK \(oldKeyID) was deleted; Okta cannot bring it back"
        }
        guard context.facts[OktaAppKeyFact.oldRetireDue] != nil else { return nil }
        let id = OktaJWKRetirement.id(rotationID: context.rotation.id, step: context.step.name)
        try await cancel(id)
        return "cancelled the scheduled retirement \(id)"
    }

    /// Okta's ID and the kid of the old JWK: recorded by add, else found by the old version's kid.
    func oldJWK(app: String, _ context: StepContext) async throws -> (id: String, kid: String) {
        if let id = context.facts[OktaAppKeyFact.oldKeyID], let kid = context.facts[OktaAppKeyFact.oldKid] { return (id, kid) }
        let old = try await OktaAppKeys.key(context, version: try context.requireFact(FactKey.oldVersion))
        let okta = keys.okta, admin = keys.admin
        let jwks = try await keys.call { () throws(OktaError) in try await okta.listJWKS(app: app, admin: admin) }
        guard let jwk = jwks.first(where: { $0.kid == old.kid }) else {
            throw StepError.refused("the old key's kid \(old.kid) is not among service app \(app)'s keys at Okta; nothing to retire")
        }
        return (jwk.id, old.kid)
    }
}
