import AegisCore

/// OpenAI API keys: strategy `console-key` (a person makes a project key in the dashboard;
/// `openai-key-check` checks it with `GET /v1/models`; `openai-key-delete` deletes the old key with
/// the Admin API after verification) and strategy `service-account` (no human step).
///
/// This build declares the types (so the Commands file loads and `plan` says what is missing) but
/// does not run them yet: the protocol fake and its SDK proof are in `Tests/Fakes/python`.
public enum OpenAIModule: AdapterModule {
    static let needs = "an OpenAI admin key (OPENAI_ADMIN_KEY) and the project (OPENAI_PROJECT_ID); OPENAI_BASE_URL to override the API"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .openAIKeyCheck, headline: "Check the new key with GET /v1/models", needs: needs))
        catalog.register(StepType(name: .openAIKeyDelete, headline: "Delete the old key with the Admin API", needs: needs))
        catalog.register(StepType(name: .openAIServiceAccountKey, headline: "Make a new service-account key (returned once)",
                                  parameters: ParameterSchema(allowed: ["phase"]), needs: needs))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        wiring.unavailable(steps: [.openAIKeyCheck, .openAIKeyDelete, .openAIServiceAccountKey],
                           "this build declares the step but has no OpenAI executor yet; it will need \(needs)")
    }
}

extension RegisteredName where Kind == StepTypeKind {
    public static let openAIKeyCheck: Self = "openai-key-check"
    public static let openAIKeyDelete: Self = "openai-key-delete"
    public static let openAIServiceAccountKey: Self = "openai-service-account-key"
}
