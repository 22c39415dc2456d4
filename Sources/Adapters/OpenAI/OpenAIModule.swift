import AegisCore
import AsyncHTTPClient
import Foundation

/// OpenAI API keys.
/// - Strategy `service-account-key` (no human step): `openai-service-account-key` `phase: mint`
///   makes a second key for the project's service account with the Admin API, promote, restart,
///   verify (the `openai-models` check lists models with the new key), then `phase: delete-old`
///   deletes the old key after the grace period (a durable timer).
/// - Strategy `console-key` (user keys): a person makes the key in the dashboard
///   (`await-provided-key`), `openai-key-check` lists models with it before it is promoted, and
///   after verification `openai-key-delete` deletes the old key after the grace period.
///
/// Settings: `OPENAI_BASE_URL` (default `https://api.openai.com/v1`, with `/v1` like the SDK's
/// `base_url`; http only for a loopback host) and `OPENAI_ADMIN_KEY` (or `OPENAI_ADMIN_KEY_FILE`)
/// for the Admin API; the checks with a project key need no admin key.
public enum OpenAIModule: AdapterModule {
    static let checkNeeds = "OpenAI's API (OPENAI_BASE_URL to override https://api.openai.com/v1)"
    static let adminNeeds = "an OpenAI admin key (OPENAI_ADMIN_KEY or OPENAI_ADMIN_KEY_FILE; OPENAI_BASE_URL to override the API)"
    static let adminSteps: [StepTypeName] = [.openAIKeyDelete, .openAIServiceAccountKey]

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .openAIKeyCheck, headline: "Check the new key with OpenAI (GET /v1/models)", needs: checkNeeds))
        catalog.register(StepType(name: .openAIKeyDelete, headline: "Delete the old key with the Admin API (cannot be undone)",
                                  parameters: ParameterSchema(required: ["project"]), needs: adminNeeds, irreversible: true, waitsOutGrace: true,
                                  validate: OpenAIKeyDeleteStep.validate,
                                  title: { _, context in
                                      let wait = context.leaked ? "at once (leak response: no grace)" : "after \(context.graceText ?? "the grace period")"
                                      return "Delete the old OpenAI key \(wait) with the Admin API (cannot be undone)"
                                  }))
        catalog.register(StepType(name: .openAIServiceAccountKey, headline: "Mint a new service-account key (returned once)",
                                  parameters: ParameterSchema(required: ["project", "service_account", "phase"]), needs: adminNeeds, waitsOutGrace: true,
                                  validate: OpenAIServiceAccountKeyStep.validate,
                                  title: { step, context in
                                      let account = step.text("service_account") ?? "?"
                                      guard step.text("phase") == OpenAIServiceAccountKeyStep.Phase.deleteOld.rawValue else {
                                          return "Mint a new key for service account \(account) and stage it as pending in \(context.storeName)"
                                      }
                                      let wait = context.leaked ? "at once (leak response: no grace)" : "after \(context.graceText ?? "the grace period")"
                                      return "Delete the old key of service account \(account) \(wait) (cannot be undone)"
                                  }))
        catalog.register(CheckType(name: .openAIModels, needs: checkNeeds, title: { _ in "OpenAI GET /v1/models with the new key" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let base: URL
        let admin: SecretValue?
        do {
            base = try OpenAIClient.validatedBase(try setup.url("OPENAI_BASE_URL") ?? OpenAIClient.defaultBase)
            admin = try setup.secret("OPENAI_ADMIN_KEY")
        } catch {
            wiring.unavailable(steps: [.openAIKeyCheck] + adminSteps, checks: [.openAIModels], error.description)
            return
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        wiring.closers.append { try? await http.shutdown() }
        let client = OpenAIClient(base: base, admin: admin, http: http, timeout: setup.timeout)
        wiring.steps[.openAIKeyCheck] = OpenAIKeyCheckStep(openai: client)
        wiring.checks[.openAIModels] = OpenAIModelsCheck(openai: client)
        guard admin != nil else {
            wiring.unavailable(steps: adminSteps, "OPENAI_ADMIN_KEY is not set (an OpenAI admin key, or OPENAI_ADMIN_KEY_FILE naming a file that holds it)")
            return
        }
        let state = setup.state
        let deletion = OpenAIKeyDeletion(openai: client,
                                         schedule: { timer in try await state.scheduleTimer(timer) },
                                         cancel: { id in try await state.finishTimer(id: id, status: .cancelled, note: "rolled back") })
        wiring.steps[.openAIServiceAccountKey] = OpenAIServiceAccountKeyStep(openai: client, deletion: deletion)
        wiring.steps[.openAIKeyDelete] = OpenAIKeyDeleteStep(openai: client, deletion: deletion)
        wiring.deferredActions[OpenAIKeyDeletionAction.name] = OpenAIKeyDeletionAction(openai: client)
    }
}

extension RegisteredName where Kind == StepTypeKind {
    /// The new key lists models (`GET /v1/models`).
    public static let openAIKeyCheck: Self = "openai-key-check"
    /// The old user key is deleted with the Admin API after the grace period.
    public static let openAIKeyDelete: Self = "openai-key-delete"
    /// Service-account key: mint (phase `mint`), delete the old one (phase `delete-old`).
    public static let openAIServiceAccountKey: Self = "openai-service-account-key"
}

extension RegisteredName where Kind == CheckTypeKind {
    /// The live version's key lists models (`GET /v1/models`).
    public static let openAIModels: Self = "openai-models"
}
