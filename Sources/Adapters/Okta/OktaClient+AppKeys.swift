import AegisCore
import Foundation
import NIOHTTP1

/// One key of a service app's JWKS as Okta lists it (public parts only; Okta never holds the
/// private key).
public struct OktaJWK: Sendable, Hashable {
    public enum Status: String, Sendable { case active = "ACTIVE", inactive = "INACTIVE" }

    /// Okta's ID of the key (`pks…`): what lifecycle and delete calls take.
    public var id: String
    /// The key ID a client assertion names in its header; nil for a key added without one.
    public var kid: String?
    public var status: Status
    /// The base64url modulus, to tell our key from another with the same kid.
    public var modulus: String?

    init?(_ object: [String: Any]) {
        guard let id = object["id"] as? String else { return nil }
        self.id = id
        kid = object["kid"] as? String
        status = Status(rawValue: object["status"] as? String ?? "") ?? .inactive
        modulus = object["n"] as? String
    }
}

/// The app JWKS calls (`/api/v1/apps/{appId}/credentials/jwks`), authenticated with the bot's
/// admin token (`OKTA_ADMIN_TOKEN`, SSWS, a super admin or an admin with the app's management).
extension OktaClient {
    public func listJWKS(app: String, admin: SecretValue) async throws(OktaError) -> [OktaJWK] {
        let operation = "GET /api/v1/apps/\(app)/credentials/jwks"
        let body = try await send(.GET, Self.jwksPath(app), token: admin, operation: operation)
        guard let list = (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] else {
            throw OktaError(operation: operation, status: 200, summary: "the answer is not a list of JSON Web Keys")
        }
        return list.compactMap(OktaJWK.init)
    }

    public func getJWK(app: String, id: String, admin: SecretValue) async throws(OktaError) -> OktaJWK {
        let operation = "GET /api/v1/apps/\(app)/credentials/jwks/\(id)"
        let body = try await send(.GET, Self.jwksPath(app) + "/\(id)", token: admin, operation: operation)
        return try Self.jwk(body, operation: operation)
    }

    /// `POST …/jwks` with a public JWK; Okta answers 201 with its ID for the key.
    public func addJWK(app: String, publicJWK: [String: String], admin: SecretValue) async throws(OktaError) -> OktaJWK {
        let operation = "POST /api/v1/apps/\(app)/credentials/jwks"
        let json = (try? JSONSerialization.data(withJSONObject: publicJWK, options: [.sortedKeys])) ?? Data()
        let body = try await send(.POST, Self.jwksPath(app), token: admin, json: json, operation: operation)
        return try Self.jwk(body, operation: operation)
    }

    /// `POST …/jwks/{id}/lifecycle/activate` or `…/deactivate` (both idempotent at Okta).
    public func setJWK(app: String, id: String, active: Bool, admin: SecretValue) async throws(OktaError) -> OktaJWK {
        let action = active ? "activate" : "deactivate"
        let operation = "POST /api/v1/apps/\(app)/credentials/jwks/\(id)/lifecycle/\(action)"
        let body = try await send(.POST, Self.jwksPath(app) + "/\(id)/lifecycle/\(action)", token: admin, operation: operation)
        return try Self.jwk(body, operation: operation)
    }

    /// `DELETE …/jwks/{id}` (204); Okta deletes only an inactive key.
    public func deleteJWK(app: String, id: String, admin: SecretValue) async throws(OktaError) {
        let operation = "DELETE /api/v1/apps/\(app)/credentials/jwks/\(id)"
        _ = try await send(.DELETE, Self.jwksPath(app) + "/\(id)", token: admin, operation: operation)
    }

    /// Deactivates (when active) and deletes one key; true when deleted, false when it was gone.
    public func retireJWK(app: String, id: String, admin: SecretValue) async throws(OktaError) -> Bool {
        do {
            let key = try await getJWK(app: app, id: id, admin: admin)
            if key.status == .active { _ = try await setJWK(app: app, id: id, active: false, admin: admin) }
            try await deleteJWK(app: app, id: id, admin: admin)
            return true
        } catch where error.isNotFound {
            return false
        }
    }

    static func jwksPath(_ app: String) -> String {
        "/api/v1/apps/\(app.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? app)/credentials/jwks"
    }

    static func jwk(_ body: Data, operation: String) throws(OktaError) -> OktaJWK {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let key = OktaJWK(object) else {
            throw OktaError(operation: operation, status: 200, summary: "the answer is not a JSON Web Key")
        }
        return key
    }
}
