import AegisCore
import Foundation

/// `okta-app-jwk-add` (param `app_id`): a new key pair for a `private_key_jwt` service app, with
/// the old key left active (Okta allows several active signing keys, so both work until retire).
///
/// Order, each write before the side effect that depends on it:
/// 1. facts: the old version, its kid and Okta's ID of the old JWK (found by kid), the new
///    version ID and the new kid;
/// 2. the new key pair is generated and stored as the pending version (the private key is in the
///    store before Okta knows its public half, so no crash can leave a JWK whose private key is
///    lost);
/// 3. `POST …/jwks` with the public JWK, INACTIVE; Okta's key ID is a fact at once;
/// 4. `POST …/jwks/{id}/lifecycle/activate`.
///
/// A re-run finds its JWK by the recorded kid: it activates it if needed, or adds it if the POST
/// never happened. A JWK under our kid whose modulus is not the stored key's (a store write that
/// did not survive) is deactivated and deleted before a new one is added. Rollback deletes our
/// JWK and discards the pending version; the old key is never touched.
struct OktaAppKeyAddStep: StepExecutor {
    let keys: OktaAppKeys

    func run(_ context: StepContext) async throws -> String {
        let app = try OktaAppKeys.app(context)
        let okta = keys.okta, admin = keys.admin
        var facts = try await context.recordOldVersion()
        guard let oldVersion = facts[FactKey.oldVersion] else { throw StepError.storeInconsistent("no old version recorded") }
        let secret = context.definition.storage

        var intent: [String: String] = [:]
        if facts[OktaAppKeyFact.oldKeyID] == nil {
            let old = try await OktaAppKeys.key(context, version: oldVersion)
            let jwks = try await keys.call { () throws(OktaError) in try await okta.listJWKS(app: app, admin: admin) }
            guard let oldJWK = jwks.first(where: { $0.kid == old.kid }) else {
                throw StepError.refused("the current key's kid \(old.kid) (version \(oldVersion)) is not among service app \(app)'s keys at Okta; " +
                                        "nothing was changed. Add the current key's public JWK with that kid, or seed the store with the key Okta has.")
            }
            intent[OktaAppKeyFact.oldKid] = old.kid
            intent[OktaAppKeyFact.oldKeyID] = oldJWK.id
        }
        let version = facts[FactKey.newVersion] ?? SecretGenerator.versionID()
        let kid = facts[OktaAppKeyFact.newKid] ?? "aegis-\(version.prefix(8).lowercased())-\(Int(Date().timeIntervalSince1970))"
        if facts[FactKey.newVersion] == nil { intent[FactKey.newVersion] = version }
        if facts[OktaAppKeyFact.newKid] == nil { intent[OktaAppKeyFact.newKid] = kid }
        if !intent.isEmpty { facts = try await context.recordFacts(intent) }
        let oldKeyID = facts[OktaAppKeyFact.oldKeyID] ?? "?"

        var notes: [String] = []
        let key: OktaAppKey
        if let stored = try await context.store.value(secret: secret, versionID: version) {
            key = try OktaAppKey(stored: stored, versionID: version)
        } else {
            key = try OktaAppKey.generate(kid: kid)
            try await context.store.putPending(secret: secret, versionID: version, value: key.stored())
        }

        var jwk = try await keys.call { () throws(OktaError) in try await okta.listJWKS(app: app, admin: admin) }.first { $0.kid == kid }
        if let found = jwk, found.modulus != key.modulus {
            _ = try await keys.call { () throws(OktaError) in try await okta.retireJWK(app: app, id: found.id, admin: admin) }
            notes.append("deleted JWK \(found.id) under kid \(kid), left by an interrupted run without its private key")
            jwk = nil
        }
        if jwk == nil {
            let added = try await keys.call { () throws(OktaError) in
                try await okta.addJWK(app: app, publicJWK: key.publicJWK(status: .inactive), admin: admin)
            }
            facts = try await context.recordFacts([OktaAppKeyFact.newKeyID: added.id])
            jwk = added
        } else if let found = jwk, facts[OktaAppKeyFact.newKeyID] != found.id {
            facts = try await context.recordFacts([OktaAppKeyFact.newKeyID: found.id])
        }
        guard let ours = jwk else { throw StepError.storeInconsistent("no JWK for kid \(kid)") }
        if ours.status != .active {
            _ = try await keys.call { () throws(OktaError) in try await okta.setJWK(app: app, id: ours.id, active: true, admin: admin) }
        }
        return "added JWK \(ours.id) (kid \(kid)) to service app \(app) and activated it; the private key is pending version \(version) " +
            "(old JWK \(oldKeyID) stays active)" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; "))
    }

    func rollback(_ context: StepContext) async throws -> String? {
        let facts = context.facts
        guard let kid = facts[OktaAppKeyFact.newKid] else { return nil }
        let app = try OktaAppKeys.app(context)
        let okta = keys.okta, admin = keys.admin
        var done: [String] = []
        let jwks = try await keys.call { () throws(OktaError) in try await okta.listJWKS(app: app, admin: admin) }
        for jwk in jwks where jwk.kid == kid && jwk.id != facts[OktaAppKeyFact.oldKeyID] {
            if try await keys.call({ () throws(OktaError) in try await okta.retireJWK(app: app, id: jwk.id, admin: admin) }) {
                done.append("deactivated and deleted new JWK \(jwk.id) (kid \(kid))")
            }
        }
        if let version = facts[FactKey.newVersion] {
            try await context.store.discardPending(secret: context.definition.storage, versionID: version)
            done.append("discarded pending version \(version)")
        }
        return done.isEmpty ? nil : done.joined(separator: "; ")
    }
}
