import AegisCore
import AsyncHTTPClient
import Foundation

/// Anthropic API keys (strategy `console-key`): keys are made only in the Console, so a person
/// hands the new one over (`await-provided-key`); then:
/// - `anthropic-key-check`: `GET /v1/models` with the new key, before it is promoted;
/// - `anthropic-key-retire`: after verification the old key is set `inactive` with the Admin API
///   and archived after the grace period (a durable timer). Archival cannot be undone, so the
///   type is irreversible and must follow `verify`; the inactive state can, and rollback uses it.
///
/// Settings: `ANTHROPIC_BASE_URL` (default `https://api.anthropic.com`, no `/v1`; http only for a
/// loopback host); `ANTHROPIC_ADMIN_KEY` (or `_FILE`) for the Admin API, optional: without it the
/// retire step is unavailable and `plan` says so.
public enum AnthropicModule: AdapterModule {
    static let checkNeeds = "Anthropic's API (ANTHROPIC_BASE_URL to override https://api.anthropic.com)"
    static let adminNeeds = "an Anthropic admin key (ANTHROPIC_ADMIN_KEY or ANTHROPIC_ADMIN_KEY_FILE; ANTHROPIC_BASE_URL to override the API)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StepType(name: .anthropicKeyCheck, headline: "Check the new key with Anthropic (GET /v1/models)", needs: checkNeeds))
        catalog.register(StepType(name: .anthropicKeyRetire, headline: "Set the old key inactive, archived after the grace period (cannot be undone)",
                                  needs: adminNeeds, irreversible: true, waitsOutGrace: true,
                                  title: { _, context in
                                      context.leaked
                                          ? "Archive the old Anthropic key at once (leak response: no grace; cannot be undone)"
                                          : "Set the old Anthropic key inactive; archive it after \(context.graceText ?? "the grace period") (cannot be undone)"
                                  }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let base: URL
        let admin: SecretValue?
        do {
            base = try AnthropicClient.validatedBase(try setup.url("ANTHROPIC_BASE_URL") ?? AnthropicClient.defaultBase)
            admin = try setup.secret("ANTHROPIC_ADMIN_KEY")
        } catch {
            wiring.unavailable(steps: [.anthropicKeyCheck, .anthropicKeyRetire], error.description)
            return
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        wiring.closers.append { try? await http.shutdown() }
        let client = AnthropicClient(base: base, admin: admin, http: http, timeout: setup.timeout)
        wiring.steps[.anthropicKeyCheck] = AnthropicKeyCheckStep(anthropic: client)
        guard admin != nil else {
            wiring.unavailable(steps: [.anthropicKeyRetire],
                               "ANTHROPIC_ADMIN_KEY is not set (an Anthropic admin key, or ANTHROPIC_ADMIN_KEY_FILE naming a file that holds it)")
            return
        }
        let state = setup.state
        wiring.steps[.anthropicKeyRetire] = AnthropicKeyRetireStep(
            anthropic: client,
            schedule: { timer in try await state.scheduleTimer(timer) },
            cancel: { id in try await state.finishTimer(id: id, status: .cancelled, note: "rolled back") })
        wiring.deferredActions[AnthropicKeyArchiveAction.name] = AnthropicKeyArchiveAction(anthropic: client)
    }
}

extension RegisteredName where Kind == StepTypeKind {
    /// The new key lists models (`GET /v1/models`).
    public static let anthropicKeyCheck: Self = "anthropic-key-check"
    /// The old key: inactive after verification, archived after the grace period.
    public static let anthropicKeyRetire: Self = "anthropic-key-retire"
}
