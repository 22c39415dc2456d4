import AegisCore
import Foundation

/// The bot's Azure identity and endpoints, by the azure-identity conventions:
/// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, and `AZURE_CLIENT_SECRET` (or `AZURE_CLIENT_SECRET_FILE`)
/// or `AZURE_FEDERATED_TOKEN_FILE` (workload identity); `AZURE_AUTHORITY_HOST`
/// (https://login.microsoftonline.com), `MICROSOFT_GRAPH_URL` (https://graph.microsoft.com) and
/// `AZURE_KEYVAULT_URL` (instead of https://<storage.container>.vault.azure.net) override the
/// endpoints; `AZURE_CA_BUNDLE` names a PEM file of the only CAs to trust (a private endpoint or
/// the test fake). Every endpoint must be https: the bot sends its credential to them.
struct AzureSettings: Sendable {
    var tenant: String
    var clientID: String
    var credential: EntraClientCredential
    var authority: URL
    var graph: URL
    var keyVault: URL?
    var caBundlePEM: [UInt8]?

    static let defaultAuthority = "https://login.microsoftonline.com"
    static let defaultGraph = "https://graph.microsoft.com"

    /// Every missing setting named at once, so `plan` can say exactly what to add.
    init(_ setup: AdapterSetup) throws(AdapterSetupProblem) {
        var missing: [String] = []
        let tenant = setup.string("AZURE_TENANT_ID")
        let clientID = setup.string("AZURE_CLIENT_ID")
        if tenant == nil { missing.append("AZURE_TENANT_ID") }
        if clientID == nil { missing.append("AZURE_CLIENT_ID") }
        let secret = try setup.secret("AZURE_CLIENT_SECRET")
        let federated = setup.string("AZURE_FEDERATED_TOKEN_FILE")
        if secret == nil && federated == nil { missing.append("AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE)") }
        guard missing.isEmpty, let tenant, let clientID else {
            throw AdapterSetupProblem("Azure is not configured: \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not set")
        }
        guard tenant.range(of: "^[0-9A-Za-z.-]{1,100}$", options: .regularExpression) != nil else {
            throw AdapterSetupProblem("AZURE_TENANT_ID is not a tenant ID or domain")
        }
        self.tenant = tenant
        self.clientID = clientID
        if let secret {
            credential = .secret(secret)
        } else {
            credential = .federatedTokenFile(federated ?? "")
        }
        authority = try Self.https(setup, "AZURE_AUTHORITY_HOST", default: Self.defaultAuthority)
        graph = try Self.https(setup, "MICROSOFT_GRAPH_URL", default: Self.defaultGraph)
        if setup.string("AZURE_KEYVAULT_URL") != nil {
            keyVault = try Self.https(setup, "AZURE_KEYVAULT_URL", default: "")
        }
        if let path = setup.string("AZURE_CA_BUNDLE") {
            guard let data = BoundedFile.contents(path) else {
                throw AdapterSetupProblem("AZURE_CA_BUNDLE names '\(path)', which cannot be read")
            }
            caBundlePEM = Array(data)
        }
    }

    static func https(_ setup: AdapterSetup, _ key: String, default fallback: String) throws(AdapterSetupProblem) -> URL {
        let url = try setup.url(key) ?? URL(string: fallback)
        guard let url, url.scheme?.lowercased() == "https" else {
            throw AdapterSetupProblem("\(key) must be an https URL (the bot sends its credentials there)")
        }
        return url
    }
}
