import AegisCore
import Foundation
import Logging

/// `client-credentials`: the rotated application (the `client_id` of the secret's
/// `entra-client-secret` step, in the tenant `AZURE_TENANT_ID` or the step's `tenant_id`) gets a
/// token with the secret stored under the expected version. A new secret can take a few seconds
/// to be accepted everywhere, so a refused credential and transient failures are retried with
/// doubling delays (about 10 s in all by default). The detail names the client and the version,
/// never the secret or the token.
public struct ClientCredentialsCheck: CheckRunner {
    let tokens: EntraTokenClient
    let tenant: String
    let scope: String
    let attempts: Int
    let firstDelay: Duration

    public init(tokens: EntraTokenClient, tenant: String, scope: String, attempts: Int = 5, firstDelay: Duration = .milliseconds(650)) {
        self.tokens = tokens
        self.tenant = tenant
        self.scope = scope
        self.attempts = max(1, attempts)
        self.firstDelay = firstDelay
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let version = context.expectedCurrentVersion
        guard let step = context.definition.steps.first(where: { $0.kind == .entraClientSecret }),
              let clientID = step.text(EntraParameters.clientID) else {
            return CheckResult(title: check.title, status: .failed, detail: "the strategy has no entra-client-secret step naming client_id")
        }
        let tenant = step.text(EntraParameters.tenantID) ?? self.tenant
        let secret: SecretValue
        do {
            guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(version) is missing from the store")
            }
            secret = value
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
        var delay = firstDelay
        var lastError: AzureError?
        for attempt in 1...attempts {
            do throws(AzureError) {
                _ = try await tokens.token(tenant: tenant, clientID: clientID, credential: .secret(secret), scope: scope)
                return CheckResult(title: check.title, status: .passed,
                                   detail: "client \(clientID) got a token with the secret of version \(version)")
            } catch {
                lastError = error
                guard error.isCredentialRefused || error.isTransient, attempt < attempts else { break }
                context.logger.info("secret not accepted yet, retrying", metadata: [
                    "client_id": "\(clientID)", "attempt": "\(attempt)", "error": "\(error.code ?? "HTTP \(error.status)")"])
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        return CheckResult(title: check.title, status: .failed,
                           detail: "client \(clientID), version \(version): \(lastError?.description ?? "no answer")")
    }
}
