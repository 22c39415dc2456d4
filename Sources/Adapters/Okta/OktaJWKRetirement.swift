import AegisCore
import Foundation

/// An old JWK's deactivation and deletion, due after the grace period. Non-secret (app, Okta key
/// ID, kid), so a durable timer's payload holds it.
public struct OktaJWKRetirement: Sendable, Hashable {
    public var id: String
    public var rotationID: RotationID
    public var app: String
    public var keyID: String
    public var kid: String
    public var dueAt: Date

    public static func id(rotationID: RotationID, step: String) -> String { "okta-retire-jwk-\(rotationID)-\(step)" }

    public var payload: [String: String] { ["okta_app": app, "jwk_id": keyID, "kid": kid] }
}

/// The durable timer's half of `okta-app-jwk-retire`: deactivates and deletes the old JWK named
/// in the payload. Idempotent (a key already gone is done); a key whose kid is no longer the
/// payload's is left alone and reported, never deleted on a guess.
public struct OktaJWKRetirementAction: DeferredAction {
    public static let name = "okta-retire-jwk"
    let okta: OktaClient
    let admin: SecretValue

    public func perform(payload: [String: String]) async throws -> String {
        guard let app = payload["okta_app"], let keyID = payload["jwk_id"], let kid = payload["kid"] else {
            throw StepError.misconfigured("the JWK retirement timer lacks okta_app, jwk_id or kid")
        }
        do {
            let key: OktaJWK
            do {
                key = try await okta.getJWK(app: app, id: keyID, admin: admin)
            } catch where error.isNotFound {
                return "old JWK \(keyID) (kid \(kid)) of service app \(app) was already deleted"
            }
            guard key.kid == kid else {
                return "left JWK \(keyID) of service app \(app) alone: its kid is no longer \(kid)"
            }
            _ = try await okta.retireJWK(app: app, id: keyID, admin: admin)
            return "deactivated and deleted old JWK \(keyID) (kid \(kid)) of service app \(app) after the grace period"
        } catch {
            throw error.adapterError
        }
    }
}
