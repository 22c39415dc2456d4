import AegisCore

/// 1Password Connect as a secret store (the development JWT secret).
///
/// This build declares the store type (so the Commands file loads and `plan` says what is
/// missing) but has no Connect client yet.
public enum OnePasswordModule: AdapterModule {
    static let needs = "1Password Connect (OP_CONNECT_HOST, OP_CONNECT_TOKEN)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StoreType(name: .onePassword, needsContainer: true, needs: needs))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        wiring.unavailable(stores: [.onePassword], "this build declares the store but has no 1Password Connect adapter yet; it will need \(needs)")
    }
}

extension RegisteredName where Kind == StoreTypeKind {
    public static let onePassword: Self = "1password"
}
