import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation

/// Google Cloud Secret Manager as a secret store (`storage.kind: gcp-secret-manager`,
/// ``GCPSecretManagerStore``).
///
/// The bot's Google identity, by Application Default Credentials' names, the first one set wins:
/// `GOOGLE_APPLICATION_CREDENTIALS` (a service-account key file), `GOOGLE_OAUTH_ACCESS_TOKEN` (or
/// `_FILE`: an access token as is), `GCE_METADATA_HOST` (the GKE/GCE metadata server, e.g.
/// `metadata.google.internal`; named explicitly so a bot off Google Cloud never waits on it).
/// `CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER` (gcloud's name) overrides
/// `https://secretmanager.googleapis.com`; `GOOGLE_CA_BUNDLE` names the only CAs to trust.
public enum GCPModule: AdapterModule {
    static let needs = "Google credentials (GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN or GCE_METADATA_HOST)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StoreType(name: .gcpSecretManager, needsContainer: true, needs: needs))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        do throws(AdapterSetupProblem) {
            let credential = try credential(setup)
            let endpoint = try ProviderHTTP.validatedBase(try setup.url("CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER") ?? SecretManagerClient.defaultEndpoint,
                                                          setting: "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER")
            let http = try ProviderHTTP.makeClient(setup, caBundleSetting: "GOOGLE_CA_BUNDLE")
            wiring.closers.append { try? await http.shutdown() }
            let tokens = GoogleTokens(credential: credential, http: http, timeout: setup.timeout, clock: setup.clock)
            wiring.stores[.gcpSecretManager] = GCPSecretManagerStore(
                client: SecretManagerClient(endpoint: endpoint, http: http, tokens: tokens, timeout: setup.timeout))
        } catch {
            wiring.unavailable(stores: [.gcpSecretManager], error.description)
        }
    }

    static func credential(_ setup: AdapterSetup) throws(AdapterSetupProblem) -> GoogleCredential {
        if let path = setup.string("GOOGLE_APPLICATION_CREDENTIALS") {
            guard let data = BoundedFile.contents(path) else {
                throw AdapterSetupProblem("GOOGLE_APPLICATION_CREDENTIALS names '\(path)', which cannot be read")
            }
            return .serviceAccount(try ServiceAccountKey(json: Data(data), path: path))
        }
        if let token = try setup.secret("GOOGLE_OAUTH_ACCESS_TOKEN") { return .accessToken(token) }
        if let host = setup.string("GCE_METADATA_HOST") {
            guard host.range(of: "^[A-Za-z0-9.-]+(:[0-9]{1,5})?$", options: .regularExpression) != nil else {
                throw AdapterSetupProblem("GCE_METADATA_HOST must be host or host:port (no scheme)")
            }
            return .metadata(host: host)
        }
        throw AdapterSetupProblem("Google Cloud is not configured: none of GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, GCE_METADATA_HOST is set")
    }
}

extension RegisteredName where Kind == StoreTypeKind {
    public static let gcpSecretManager: Self = "gcp-secret-manager"
}
