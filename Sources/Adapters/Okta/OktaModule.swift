import AegisCore
import AsyncHTTPClient
import Foundation

/// Okta, in two strategies (docs/providers/okta.md):
///
/// `console-token` (SSWS API tokens are made only in the Admin Console, so a person hands the new
/// one over with `await-provided-key`):
/// - `okta-token-check`: `GET /api/v1/users/me` with the new token, before it is promoted;
/// - `okta-token-revoke`: after verification, `DELETE /api/v1/api-tokens/current` authenticated
///   with the old token itself, which needs no admin credential. Irreversible, so the catalog
///   refuses a strategy that puts it before its `verify` step.
///
/// `oauth-service-app` (a `private_key_jwt` service app's key pair, no human step), with the
/// bot's admin token `OKTA_ADMIN_TOKEN` (or `OKTA_ADMIN_TOKEN_FILE`):
/// - `okta-app-jwk-add`: a new key pair, its private half stored as pending and its public JWK
///   added to the app and activated (``OktaAppKeyAddStep``);
/// - `okta-app-jwk-retire`: after verification, the old JWK deactivated and deleted, at once
///   without grace or by a durable timer after it (``OktaAppKeyRetireStep``). Irreversible;
/// - check `okta-client-credentials`: a token request signed with the new key.
///
/// `OKTA_ORG_URL` is the org (`https://acme.okta.com`); http is accepted only for a loopback host.
public enum OktaModule: AdapterModule {
    static let needs = "OKTA_ORG_URL (the Okta org, e.g. https://acme.okta.com)"
    static let adminNeeds = "OKTA_ORG_URL and OKTA_ADMIN_TOKEN (an SSWS token allowed to manage the service app's keys)"
    static let orgSteps: [StepTypeName] = [.oktaTokenCheck, .oktaTokenRevoke]
    static let appSteps: [StepTypeName] = [.oktaAppKeyAdd, .oktaAppKeyRetire]

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .oktaTokenCheck, headline: "Check the new token with Okta (GET /api/v1/users/me)", needs: needs))
        catalog.register(StepType(name: .oktaTokenRevoke, headline: "Revoke the old token at Okta (cannot be undone)", needs: needs,
                                  irreversible: true))
        let app = ParameterSchema(required: ["app_id"])
        catalog.register(StepType(name: .oktaAppKeyAdd, headline: "Add a new key pair to the Okta service app (JWKS) and store its private key",
                                  parameters: app, needs: adminNeeds,
                                  title: { step, _ in "Add a new key pair to Okta service app \(step.text("app_id") ?? "?") and store its private key" }))
        catalog.register(StepType(name: .oktaAppKeyRetire, headline: "Deactivate and delete the old JWK at Okta (cannot be undone)",
                                  parameters: app, needs: adminNeeds, irreversible: true, waitsOutGrace: true,
                                  title: { step, context in
                                      let when = context.leaked ? "now" : context.graceText.map { "after the grace period (\($0))" } ?? "now"
                                      return "Deactivate and delete the old JWK of Okta service app \(step.text("app_id") ?? "?") \(when) (cannot be undone)"
                                  }))
        catalog.register(CheckType(name: .oktaClientCredentials, parameters: ParameterSchema(allowed: ["client_id", "scope"]), needs: needs,
                                   title: { _ in "Okta client-credentials token request signed with the new key" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let org: URL
        do {
            guard let url = try setup.url("OKTA_ORG_URL") else {
                wiring.unavailable(steps: orgSteps + appSteps, checks: [.oktaClientCredentials],
                                   "OKTA_ORG_URL is not set (the Okta org, e.g. https://acme.okta.com)")
                return
            }
            org = try OktaClient.validatedOrg(url)
        } catch {
            wiring.unavailable(steps: orgSteps + appSteps, checks: [.oktaClientCredentials], error.description)
            return
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        wiring.closers.append { try? await http.shutdown() }
        let client = OktaClient(org: org, http: http, timeout: setup.timeout)
        wiring.steps[.oktaTokenCheck] = OktaTokenCheckStep(okta: client)
        wiring.steps[.oktaTokenRevoke] = OktaTokenRevokeStep(okta: client)
        wiring.checks[.oktaClientCredentials] = OktaClientCredentialsCheck(okta: client)

        let admin: SecretValue
        do {
            guard let token = try setup.secret("OKTA_ADMIN_TOKEN") else {
                wiring.unavailable(steps: appSteps, "OKTA_ADMIN_TOKEN is not set (an SSWS token allowed to manage the service app's keys; or OKTA_ADMIN_TOKEN_FILE)")
                return
            }
            admin = token
        } catch {
            wiring.unavailable(steps: appSteps, error.description)
            return
        }
        let keys = OktaAppKeys(okta: client, admin: admin)
        let state = setup.state
        wiring.steps[.oktaAppKeyAdd] = OktaAppKeyAddStep(keys: keys)
        wiring.steps[.oktaAppKeyRetire] = OktaAppKeyRetireStep(
            keys: keys,
            schedule: { retirement in
                try await state.scheduleTimer(DeferredActionRegistry.timer(
                    id: retirement.id, action: OktaJWKRetirementAction.name, rotationID: retirement.rotationID,
                    dueAt: retirement.dueAt, payload: retirement.payload))
            },
            cancel: { id in try await state.finishTimer(id: id, status: .cancelled, note: "rolled back") })
        wiring.deferredActions[OktaJWKRetirementAction.name] = OktaJWKRetirementAction(okta: client, admin: admin)
    }
}

extension RegisteredName where Kind == StepTypeKind {
    /// The new SSWS token authenticates (`GET /api/v1/users/me`).
    public static let oktaTokenCheck: Self = "okta-token-check"
    /// The old SSWS token revokes itself (`DELETE /api/v1/api-tokens/current`).
    public static let oktaTokenRevoke: Self = "okta-token-revoke"
    /// A new service-app key pair: JWK added and activated, private key stored as pending.
    public static let oktaAppKeyAdd: Self = "okta-app-jwk-add"
    /// The old service-app JWK deactivated and deleted (after the grace period).
    public static let oktaAppKeyRetire: Self = "okta-app-jwk-retire"
}

extension RegisteredName where Kind == CheckTypeKind {
    /// A client-credentials token request signed with the new service-app key.
    public static let oktaClientCredentials: Self = "okta-client-credentials"
}
