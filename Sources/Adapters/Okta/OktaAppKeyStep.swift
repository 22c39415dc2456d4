import AegisCore
import Foundation

/// Shared by `okta-app-jwk-add` and `okta-app-jwk-retire`: the app, the admin token, the facts.
///
/// Facts (non-secret: version IDs, kids, Okta key IDs), rotation-wide so retire reads what add
/// recorded.
enum OktaAppKeyFact {
    /// The kid of the new key, chosen before anything exists at Okta.
    static let newKid = "okta.jwk.new.kid"
    /// Okta's ID (`pks…`) of the new JWK, right after Okta answers the POST.
    static let newKeyID = "okta.jwk.new.id"
    static let oldKid = "okta.jwk.old.kid"
    /// Okta's ID of the old JWK, found by the old version's kid.
    static let oldKeyID = "okta.jwk.old.id"
    static let oldRetireDue = "okta.jwk.old.retire-due"
    static let oldRetired = "okta.jwk.old.retired"
}

struct OktaAppKeys: Sendable {
    let okta: OktaClient
    let admin: SecretValue

    static func app(_ context: StepContext) throws -> String {
        guard let app = context.step.definition.text("app_id"), !app.isEmpty else {
            throw StepError.misconfigured("step '\(context.step.name)' needs the Okta service app's ID (param 'app_id')")
        }
        return app
    }

    static func key(_ context: StepContext, version: String) async throws -> OktaAppKey {
        guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
            throw StepError.storeInconsistent("version \(version) of \(context.definition.storage.name) is missing from the store")
        }
        return try OktaAppKey(stored: value, versionID: version)
    }

    /// Runs an Okta call, turning `OktaError` into core's `AdapterError` (retried when transient).
    func call<T>(_ body: () async throws(OktaError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}
