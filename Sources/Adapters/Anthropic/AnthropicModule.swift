import AegisCore

/// Anthropic API keys (strategy `console-key`): a person makes the key in the Console and hands it
/// over; `anthropic-key-check` checks it with `GET /v1/models`; after verification
/// `anthropic-key-retire` sets the old key `inactive` with the Admin API, `archived` after grace.
///
/// This build declares the types (so the Commands file loads and `plan` says what is missing) but
/// does not run them yet: the protocol fake and its SDK proof are in `Tests/Fakes/python`.
public enum AnthropicModule: AdapterModule {
    static let needs = "an Anthropic admin key (ANTHROPIC_ADMIN_KEY; ANTHROPIC_BASE_URL to override the API)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .anthropicKeyCheck, headline: "Check the new key with GET /v1/models", needs: needs))
        catalog.register(StepType(name: .anthropicKeyRetire, headline: "Set the old key inactive, archived after the grace period",
                                  needs: needs))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        wiring.unavailable(steps: [.anthropicKeyCheck, .anthropicKeyRetire],
                           "this build declares the step but has no Anthropic executor yet; it will need \(needs)")
    }
}

extension RegisteredName where Kind == StepTypeKind {
    public static let anthropicKeyCheck: Self = "anthropic-key-check"
    public static let anthropicKeyRetire: Self = "anthropic-key-retire"
}
