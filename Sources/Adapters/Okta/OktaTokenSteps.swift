import AegisCore
import Foundation

/// `okta-token-check`: the token a person handed over authenticates at Okta, before anything
/// depends on it. A refusal is final (the engine rolls back: the pending version is discarded and
/// the old token stays current); a 429 or 5xx is retried.
struct OktaTokenCheckStep: StepExecutor {
    let okta: OktaClient

    func run(_ context: StepContext) async throws -> String {
        let token = try await context.storedValue(fact: FactKey.newVersion, role: "new token")
        do {
            let user = try await okta.currentUser(token: token)
            return "Okta accepts the new token (GET /api/v1/users/me as \(user))"
        } catch let error where error.isInvalidToken {
            throw StepError.refused("Okta refuses the new token (\(error.code ?? "HTTP \(error.status)") \(error.summary ?? "")); nothing was promoted")
        } catch {
            throw error.adapterError
        }
    }

    func rollback(_ context: StepContext) async throws -> String? { nil }
}

/// `okta-token-revoke`: after verification, the old token revokes itself. Run again after a crash,
/// a token Okta already refuses counts as revoked: that is the state the step exists to reach.
/// Nothing to roll back: a revoked Okta token cannot be restored, which is why the type is
/// irreversible and must follow `verify`.
struct OktaTokenRevokeStep: StepExecutor {
    static let attemptedFact = "okta.revoke.attempted"
    let okta: OktaClient

    func run(_ context: StepContext) async throws -> String {
        let token = try await context.storedValue(fact: FactKey.oldVersion, role: "old token")
        let attempted = context.facts[Self.attemptedFact] != nil
        if !attempted { _ = try await context.recordFacts([Self.attemptedFact: "yes"]) }
        do {
            try await okta.revokeCurrent(token: token)
            return "revoked the old token at Okta (DELETE /api/v1/api-tokens/current); this cannot be undone"
        } catch let error where error.isInvalidToken {
            return attempted
                ? "the old token is revoked at Okta (it is refused since the earlier attempt)"
                : "the old token was already refused by Okta (revoked or expired before this step)"
        } catch {
            throw error.adapterError
        }
    }

    func rollback(_ context: StepContext) async throws -> String? { nil }
}
