import AegisCore

/// Entra ID client secrets stored in Azure Key Vault: `entra-client-secret` (Graph `addPassword`,
/// `removePassword` of the old `keyId` after grace), the `client-credentials` check and the
/// `azure-key-vault` store.
///
/// This build declares the types (so the Commands file loads and `plan` says what is missing) but
/// does not run them yet: the protocol fake and its SDK proof are in `Tests/Fakes/python`.
public enum EntraModule: AdapterModule {
    static let identityNeeds = "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE); AZURE_AUTHORITY_HOST and MICROSOFT_GRAPH_URL to override"
    static let vaultNeeds = "Azure Key Vault (the vault in storage.container, AZURE_KEYVAULT_URL to override) and the Azure identity settings"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StoreType(name: .azureKeyVault, needsContainer: true, needs: vaultNeeds))
        catalog.register(StepType(name: .entraClientSecret, headline: "Add a new Entra client secret",
                                  parameters: ParameterSchema(allowed: ["application_id", "display_name", "phase"]), needs: identityNeeds))
        catalog.register(CheckType(name: .clientCredentials, needs: identityNeeds, title: { _ in "client-credentials token with the new secret" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let reason = "this build declares it but has no Entra ID / Key Vault adapter yet; it will need"
        wiring.unavailable(steps: [.entraClientSecret], checks: [.clientCredentials], "\(reason) \(identityNeeds)")
        wiring.unavailable(stores: [.azureKeyVault], "\(reason) \(vaultNeeds)")
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
