import AegisCore
import Foundation

/// `1password`: a ``SecretStore`` on one item of a 1Password vault through a Connect server,
/// `storage.container` the vault's name and `storage.name` the item's title (each found by a
/// SCIM filter and required to match exactly one).
///
/// Connect exposes no item history, so the stages live in the item's own fields
/// (``OnePasswordStaging``): the password field holds the current value, and labelled fields hold
/// the pending value and the previous one, which is what a rollback after promotion restores.
/// Every change is one JSON Patch, which Connect applies whole or not at all, and each is
/// idempotent by version ID, so a step re-run after a crash finds its work done. The item is
/// never deleted or re-created, so 1Password's own item history keeps every earlier version.
///
/// Connect has no conditional write (no etag, no JSON Patch `test`): two writers of one item are
/// kept apart by the rotation lease, as for every store, and a person editing the password field
/// by hand during a rotation is caught by the store read-back check.
public struct OnePasswordStore: SecretStore {
    let client: ConnectClient
    let clock: any WallClock

    init(client: ConnectClient, clock: any WallClock) {
        self.client = client
        self.clock = clock
    }

    /// The item's vault and title, checked.
    struct Place: Sendable {
        let vault: ConnectName
        let title: ConnectName

        init(_ location: StorageLocation) throws {
            vault = try ConnectName(location.container, what: "vault name (storage.container)", location: location)
            title = try ConnectName(location.name, what: "item title (storage.name)", location: location)
        }
    }

    func staging(_ place: Place) async throws(ConnectError) -> OnePasswordStaging {
        let vaultID = try await client.vaultID(named: place.vault)
        let itemID = try await client.itemID(titled: place.title, vaultID: vaultID)
        return OnePasswordStaging(item: try await client.item(itemID, vaultID: vaultID, title: place.title))
    }

    public func putPending(secret location: StorageLocation, versionID: String, value: SecretValue) async throws {
        let place = try Place(location)
        guard String(validating: value.revealSecretBytes(), as: UTF8.self) != nil else {
            throw StepError.misconfigured("\(location.displayName): 1Password fields hold text; the generated value is not UTF-8 (use a text format)")
        }
        try await adapting { () throws(ConnectError) in
            let staging = try await staging(place)
            guard staging.current?.versionID != versionID, staging.pending?.versionID != versionID else { return }
            guard staging.passwordField != nil else {
                throw ConnectError(operation: "stage a new value in item '\(place.title.text)'",
                                   unusable: "the item has no password field (purpose PASSWORD, or labelled password or credential)")
            }
            var operations = [staging.set(OnePasswordStaging.pendingVersionLabel, text: versionID),
                              staging.set(OnePasswordStaging.pendingValueLabel, value, concealed: true)]
            // Pin a hand-made current under its ID and date first, so neither `due` nor a re-run
            // reads the item's own updatedAt, which this very patch moves.
            if staging.text(OnePasswordStaging.currentVersionLabel) == nil, let current = staging.current {
                operations.append(staging.set(OnePasswordStaging.currentVersionLabel, text: current.versionID))
                if staging.text(OnePasswordStaging.currentSinceLabel) == nil, let since = staging.currentSince {
                    operations.append(staging.set(OnePasswordStaging.currentSinceLabel, text: Timestamps.iso8601Fractional(since)))
                }
            }
            _ = try await client.patch(staging.item, operations, title: place.title, purpose: "stage version \(versionID)")
        }
    }

    public func value(secret location: StorageLocation, versionID: String) async throws -> SecretValue? {
        let place = try Place(location)
        return try await adapting { () throws(ConnectError) in try await staging(place).value(of: versionID) }
    }

    public func versions(secret location: StorageLocation) async throws -> [SecretVersionInfo] {
        let place = try Place(location)
        return try await adapting { () throws(ConnectError) in try await staging(place).infos }
    }

    public func makeCurrent(secret location: StorageLocation, versionID: String) async throws {
        let place = try Place(location)
        try await adapting { () throws(ConnectError) in
            let staging = try await staging(place)
            let purpose = "make version \(versionID) current"
            guard staging.current?.versionID != versionID else { return }
            guard let field = staging.passwordField else {
                throw ConnectError(operation: "\(purpose) in item '\(place.title.text)'", unusable: "the item has no password field")
            }
            let fromPending = staging.pending?.versionID == versionID
            guard let target = fromPending ? staging.pending : staging.previous.flatMap({ $0.versionID == versionID ? $0 : nil }) else {
                throw ConnectError(operation: "\(purpose) in item '\(place.title.text)'", unusable: "the item holds no version \(versionID)")
            }
            var operations: [ConnectPatchOperation] = [
                .replaceValue(fieldID: field.id, target.value),
                staging.set(OnePasswordStaging.currentVersionLabel, text: versionID),
                staging.set(OnePasswordStaging.currentSinceLabel, text: Timestamps.iso8601(clock.now())),
            ]
            if let current = staging.current {
                operations += [staging.set(OnePasswordStaging.previousVersionLabel, text: current.versionID),
                               staging.set(OnePasswordStaging.previousValueLabel, current.value, concealed: true)]
            }
            if fromPending {
                operations += staging.remove(OnePasswordStaging.pendingVersionLabel) + staging.remove(OnePasswordStaging.pendingValueLabel)
            }
            _ = try await client.patch(staging.item, operations, title: place.title, purpose: purpose)
        }
    }

    public func discardPending(secret location: StorageLocation, versionID: String) async throws {
        let place = try Place(location)
        try await adapting { () throws(ConnectError) in
            let staging = try await staging(place)
            guard staging.pending?.versionID == versionID, staging.current?.versionID != versionID else { return }
            let operations = staging.remove(OnePasswordStaging.pendingVersionLabel) + staging.remove(OnePasswordStaging.pendingValueLabel)
            _ = try await client.patch(staging.item, operations, title: place.title, purpose: "discard version \(versionID)")
        }
    }

    func adapting<T>(_ body: () async throws(ConnectError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}
