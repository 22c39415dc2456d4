import AegisCore
import Foundation

/// The live service's checks: `health` (`GET {AEGIS_API_URL}/health`, one component) and `smoke`
/// (`GET {AEGIS_API_URL}/api/v1/findings` with `AEGIS_API_TOKEN`).
public enum HTTPChecksModule: AdapterModule {
    public static let defaultAPIURL = "https://api.aegis.io"
    static let needs = "AEGIS_API_URL (the aegis-api base URL)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(CheckType(name: .health, parameters: ParameterSchema(required: ["component"]), needs: needs,
                                   needsLiveService: true, title: { "health .components.\($0["component"] ?? "?")" }))
        catalog.register(CheckType(name: .smoke, parameters: ParameterSchema(allowed: ["path"]),
                                   needs: needs + " and AEGIS_API_TOKEN (the bearer token for GET /api/v1/findings)",
                                   needsLiveService: true, title: { "smoke test \($0["path"] ?? "/api/v1/findings")" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let base = setup.string("AEGIS_API_URL") ?? defaultAPIURL
        guard let url = URL(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            wiring.unavailable(checks: [.health, .smoke], "AEGIS_API_URL is not an http(s) URL")
            return
        }
        let token = setup.string("AEGIS_API_TOKEN").map { SecretValue(utf8: $0) }
        let endpoint = ServiceEndpoint(baseURL: base, token: token)
        wiring.checks[.health] = HealthComponentCheck(endpoint: endpoint)
        if token == nil {
            wiring.checkProblems[.smoke] = "AEGIS_API_TOKEN is not set (the bearer token for GET /api/v1/findings)"
        } else {
            wiring.checks[.smoke] = SmokeTestCheck(endpoint: endpoint)
        }
    }
}

extension RegisteredName where Kind == CheckTypeKind {
    /// `GET {AEGIS_API_URL}/health`, `.components.<component>` must be healthy.
    public static let health: Self = "health"
    /// `GET {AEGIS_API_URL}/api/v1/findings` with a bearer token; JSON `total` present.
    public static let smoke: Self = "smoke"
}
