import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation

/// 1Password Connect as a secret store (`storage.kind: 1password`, ``OnePasswordStore``): the
/// development JWT secret.
///
/// `OP_CONNECT_HOST` is the Connect server (https, or http to a loopback sidecar: the token is a
/// bearer credential for every vault it may read), `OP_CONNECT_TOKEN` (or `_FILE`) its access
/// token, the names 1Password's own SDKs read. `OP_CONNECT_CA_BUNDLE` names the only CAs to trust.
public enum OnePasswordModule: AdapterModule {
    static let needs = "1Password Connect (OP_CONNECT_HOST, OP_CONNECT_TOKEN)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StoreType(name: .onePassword, needsContainer: true, needs: needs))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        do throws(AdapterSetupProblem) {
            guard let host = try setup.url("OP_CONNECT_HOST") else { throw AdapterSetupProblem("1Password Connect is not configured: OP_CONNECT_HOST is not set") }
            guard let token = try setup.secret("OP_CONNECT_TOKEN") else { throw AdapterSetupProblem("1Password Connect is not configured: OP_CONNECT_TOKEN is not set") }
            let endpoint = try ProviderHTTP.validatedBase(host, setting: "OP_CONNECT_HOST")
            let http = try ProviderHTTP.makeClient(setup, caBundleSetting: "OP_CONNECT_CA_BUNDLE")
            wiring.closers.append { try? await http.shutdown() }
            wiring.stores[.onePassword] = OnePasswordStore(
                client: ConnectClient(endpoint: endpoint, http: http, token: token, timeout: setup.timeout), clock: setup.clock)
        } catch {
            wiring.unavailable(stores: [.onePassword], error.description)
        }
    }
}

extension RegisteredName where Kind == StoreTypeKind {
    public static let onePassword: Self = "1password"
}
