import AegisCore
import Foundation

/// The service the runbook verifies: `AEGIS_API_URL` and the smoke test's bearer token
/// (`AEGIS_API_TOKEN`, a secret).
public struct ServiceEndpoint: Sendable {
    public let baseURL: String
    public let token: SecretValue?

    public init(baseURL: String, token: SecretValue?) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }
}
