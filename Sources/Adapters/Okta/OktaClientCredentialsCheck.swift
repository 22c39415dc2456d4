import AegisCore
import Foundation

/// `okta-client-credentials` (params `client_id`, `scope`): a client-credentials token request at
/// `{org}/oauth2/v1/token`, authenticated by a client assertion signed with the key stored under
/// the version being verified. `client_id` defaults to the `app_id` of the strategy's
/// `okta-app-jwk-add` step (an Okta service app's client ID is its app ID); `scope` defaults to
/// `okta.apps.read`. A strategy without that step (`console-token` stores an SSWS token, not a
/// key) makes the check not applicable, so both strategies share one `verify:` list.
struct OktaClientCredentialsCheck: CheckRunner {
    static let defaultScope = "okta.apps.read"
    let okta: OktaClient

    func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let addStep = context.definition.steps.first { $0.kind == .oktaAppKeyAdd }
        guard let clientID = check.parameters["client_id"] ?? addStep?.text("app_id") else {
            return CheckResult(title: check.title, status: .notApplicable,
                               detail: "strategy \(context.definition.strategy) has no service app key to sign with")
        }
        let version = context.expectedCurrentVersion
        let key: OktaAppKey
        do {
            guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(version) is missing from the store")
            }
            key = try OktaAppKey(stored: value, versionID: version)
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
        let scope = check.parameters["scope"] ?? Self.defaultScope
        do {
            let granted = try await okta.clientCredentialsToken(clientID: clientID, key: key, scope: scope)
            return CheckResult(title: check.title, status: .passed,
                               detail: "client \(clientID) got an access token (scope \(granted)) signed with kid \(key.kid), version \(version)")
        } catch {
            return CheckResult(title: check.title, status: .failed,
                               detail: "client \(clientID), kid \(key.kid), version \(version): \(error.description)")
        }
    }
}
