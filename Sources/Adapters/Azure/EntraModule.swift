import AegisCore
import Foundation

/// Entra ID client secrets stored in Azure Key Vault (strategy `graph`):
/// - `entra-client-secret` phase `add`: Graph `addPassword` on the application, the secret stored
///   as the pending Key Vault version (its `keyId` recorded first as a fact, then as a tag);
/// - `client-credentials`: a token request for the rotated app with the new secret;
/// - `entra-client-secret` phase `remove-old`: `removePassword` of the old `keyId` after the
///   grace period (a durable deferred action), at once with no grace. Irreversible.
/// - the `azure-key-vault` store (stages in tags, see ``AzureKeyVaultStore``).
///
/// The bot's own identity and endpoints are read by ``AzureSettings``; docs/providers/entra-key-vault.md.
public enum EntraModule: AdapterModule {
    static let identityNeeds = "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE); AZURE_AUTHORITY_HOST and MICROSOFT_GRAPH_URL to override"
    static let vaultNeeds = "Azure Key Vault (the vault in storage.container, AZURE_KEYVAULT_URL to override) and the Azure identity settings"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StoreType(name: .azureKeyVault, needsContainer: true, needs: vaultNeeds))
        catalog.register(StepType(name: .entraClientSecret, headline: "Entra client secret (Graph addPassword / removePassword)",
                                  parameters: EntraParameters.schema, needs: identityNeeds, irreversible: false, waitsOutGrace: true,
                                  validate: { step, secret throws(ParameterProblem) in try EntraParameters.validate(step, secret) },
                                  title: { step, context in Self.title(step, context) }))
        catalog.register(CheckType(name: .clientCredentials, needs: identityNeeds, title: { _ in "client-credentials token with the new secret" }))
    }

    static func title(_ step: StepDefinition, _ context: PlanTitleContext) -> String {
        let app = step.text(EntraParameters.applicationObjectID) ?? "?"
        switch step.text("phase") {
        case EntraClientSecretStep.Phase.add.rawValue:
            return "Add a new client secret to application \(app) (Graph addPassword), pending in \(context.storeName)"
        default:
            if context.leaked || context.graceText == nil { return "Remove the old client secret now (Graph removePassword; cannot be undone)" }
            return "Remove the old client secret after \(context.graceText ?? "the grace period") (Graph removePassword; cannot be undone)"
        }
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let settings: AzureSettings
        let http: AzureHTTP
        do {
            settings = try AzureSettings(setup)
            http = try AzureHTTP(caBundlePEM: settings.caBundlePEM, timeout: setup.timeout)
        } catch {
            wiring.unavailable(steps: [.entraClientSecret], checks: [.clientCredentials], stores: [.azureKeyVault], error.description)
            return
        }
        wiring.closers.append { try? await http.shutdown() }
        let tokenClient = EntraTokenClient(authority: settings.authority, http: http)
        let tokens = EntraTokenCache(tenant: settings.tenant, clientID: settings.clientID, credential: settings.credential, client: tokenClient)
        let graph = GraphApplications(graph: settings.graph, http: http, tokens: tokens)
        let store = AzureKeyVaultStore(override: settings.keyVault, http: http, tokens: tokens)
        let state = setup.state
        wiring.stores[.azureKeyVault] = store
        wiring.steps[.entraClientSecret] = EntraClientSecretStep(
            graph: graph, vault: store,
            scheduleRemoval: { removal in
                try await state.scheduleTimer(DeferredActionRegistry.timer(
                    id: removal.id, action: EntraPasswordRemovalAction.name, rotationID: removal.rotationID,
                    dueAt: removal.dueAt, payload: removal.payload))
            },
            cancelRemoval: { id in try await state.finishTimer(id: id, status: .cancelled, note: "rolled back") })
        wiring.checks[.clientCredentials] = ClientCredentialsCheck(tokens: tokenClient, tenant: settings.tenant,
                                                                   scope: GraphApplications.scope(for: settings.graph))
        wiring.deferredActions[EntraPasswordRemovalAction.name] = EntraPasswordRemovalAction(graph: graph)
    }
}

extension RegisteredName where Kind == StepTypeKind {
    /// Microsoft Graph addPassword / removePassword.
    public static let entraClientSecret: Self = "entra-client-secret"
}

extension RegisteredName where Kind == CheckTypeKind {
    /// A client-credentials token request with the new client secret.
    public static let clientCredentials: Self = "client-credentials"
}

extension RegisteredName where Kind == StoreTypeKind {
    public static let azureKeyVault: Self = "azure-key-vault"
}
