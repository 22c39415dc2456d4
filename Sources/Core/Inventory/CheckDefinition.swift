import Foundation
/// A verification check from a Commands file's `verify:` list.
public struct CheckDefinition: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// `GET {AEGIS_API_URL}/health`, `.components.<component>` must be healthy.
        case health
        /// No `auth.*error|unauthorized|forbidden` in the deployment's pod logs over the window.
        case logs
        /// `GET {AEGIS_API_URL}/api/v1/findings` with a bearer token; JSON `total` present.
        case smoke
        /// The deployed config holds the store's current version under `key`.
        case deployedConfig = "deployed-config"
        /// A token signed with the deployed signing key verifies against the deployed key set by
        /// `kid`, and so does one signed with the previous key while it is in grace.
        case jwtRoundtrip = "jwt-roundtrip"
        /// The store hands back the current version, readable and non-empty.
        case storeReadback = "store-readback"
        /// `SELECT 1` with the stored password.
        case postgresLogin = "postgres-login"
        /// AUTH and PING with the stored password.
        case redisLogin = "redis-login"
        /// STS GetCallerIdentity with the new key.
        case stsCallerIdentity = "sts-caller-identity"
        /// A client-credentials token request with the new client secret.
        case clientCredentials = "client-credentials"

        public var allowedParameters: Set<String> {
            switch self {
            case .health: ["component"]
            case .logs: ["pattern", "window"]
            case .smoke: ["path"]
            case .deployedConfig: ["key"]
            case .jwtRoundtrip: ["signing_key", "verify_keys"]
            case .postgresLogin: ["role"]
            case .storeReadback, .redisLogin, .stsCallerIdentity, .clientCredentials: []
            }
        }

        public var requiredParameters: Set<String> {
            switch self {
            case .health: ["component"]
            case .deployedConfig: ["key"]
            case .jwtRoundtrip: ["signing_key"]
            default: []
            }
        }
    }

    public var kind: Kind
    public var parameters: [String: String]
    public var line: Int

    public init(kind: Kind, parameters: [String: String] = [:], line: Int = 0) {
        self.kind = kind
        self.parameters = parameters
        self.line = line
    }

    /// How the check reads in results: "health .components.identity_provider".
    public var title: String {
        switch kind {
        case .health: "health .components.\(parameters["component"] ?? "?")"
        case .logs: "pod logs free of auth errors"
        case .smoke: "smoke test \(parameters["path"] ?? "/api/v1/findings")"
        case .deployedConfig: "config \(parameters["key"] ?? "?") holds the current version"
        case .jwtRoundtrip: "tokens verify by kid"
        case .storeReadback: "store returns the current version"
        case .postgresLogin: "SELECT 1 with the stored password"
        case .redisLogin: "Redis AUTH + PING with the stored password"
        case .stsCallerIdentity: "STS GetCallerIdentity with the new key"
        case .clientCredentials: "client-credentials token with the new secret"
        }
    }
}
