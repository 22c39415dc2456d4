import AegisCore
import AsyncHTTPClient
import Foundation

/// Okta API tokens (strategy `console-token`). SSWS tokens are made only in the Admin Console, so
/// a person hands the new one over (`await-provided-key`); then:
/// - `okta-token-check`: `GET /api/v1/users/me` with the new token, before it is promoted;
/// - `okta-token-revoke`: after verification, `DELETE /api/v1/api-tokens/current` authenticated
///   with the old token itself, which needs no admin credential. Irreversible, so the catalog
///   refuses a strategy that puts it before its `verify` step.
///
/// `OKTA_ORG_URL` is the org (`https://acme.okta.com`); http is accepted only for a loopback host.
public enum OktaModule: AdapterModule {
    static let needs = "OKTA_ORG_URL (the Okta org, e.g. https://acme.okta.com)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .oktaTokenCheck, headline: "Check the new token with Okta (GET /api/v1/users/me)", needs: needs))
        catalog.register(StepType(name: .oktaTokenRevoke, headline: "Revoke the old token at Okta (cannot be undone)", needs: needs,
                                  irreversible: true))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let org: URL
        do {
            guard let url = try setup.url("OKTA_ORG_URL") else {
                wiring.unavailable(steps: [.oktaTokenCheck, .oktaTokenRevoke], "OKTA_ORG_URL is not set (the Okta org, e.g. https://acme.okta.com)")
                return
            }
            org = try OktaClient.validatedOrg(url)
        } catch {
            wiring.unavailable(steps: [.oktaTokenCheck, .oktaTokenRevoke], error.description)
            return
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        wiring.closers.append { try? await http.shutdown() }
        let client = OktaClient(org: org, http: http, timeout: setup.timeout)
        wiring.steps[.oktaTokenCheck] = OktaTokenCheckStep(okta: client)
        wiring.steps[.oktaTokenRevoke] = OktaTokenRevokeStep(okta: client)
    }
}

extension RegisteredName where Kind == StepTypeKind {
    /// The new SSWS token authenticates (`GET /api/v1/users/me`).
    public static let oktaTokenCheck: Self = "okta-token-check"
    /// The old SSWS token revokes itself (`DELETE /api/v1/api-tokens/current`).
    public static let oktaTokenRevoke: Self = "okta-token-revoke"
}
