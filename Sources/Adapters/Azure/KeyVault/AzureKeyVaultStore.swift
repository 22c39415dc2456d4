import AegisCore
import Foundation

/// `azure-key-vault`: a ``SecretStore`` on Azure Key Vault secrets.
///
/// Key Vault has no staging labels, and applications read the newest enabled version. The stages
/// live in tags on each Key Vault version the bot writes (docs/providers/entra-key-vault.md):
/// - `aegis-version` = our version ID (the rotation's), `aegis-stage` = `pending`, `current`,
///   `previous` or `discarded`, and for Entra secrets `aegis-key-id` = the password's `keyId`;
/// - `putPending` PUTs a new version tagged pending; the same version ID again is a no-op;
/// - `makeCurrent` re-tags with PATCH: the new version current first, then the old current
///   previous (and an older previous loses its tag);
/// - `discardPending` (a rollback; the version may already be `previous` after promote's rollback)
///   first writes the current value back as the newest version (same `aegis-version`, tagged
///   current) when the discarded one is the newest, so readers of "latest" get the old value
///   again (Key Vault cannot reorder versions), then disables the discarded one;
/// Nothing ever deletes a version. A secret without aegis tags (made by hand) counts the version
/// `GET /secrets/{name}` returns (the newest enabled) as current, under its Key Vault version ID.
///
/// The value is stored as is (the Entra client secret itself), so an application reads it with
/// any Key Vault client. Errors carry names, version IDs and codes, never a value.
public struct AzureKeyVaultStore: SecretStore {
    let vaultURL: @Sendable (StorageLocation) throws -> URL
    let http: AzureHTTP
    let tokens: EntraTokenCache

    /// - Parameter override: `AZURE_KEYVAULT_URL`; otherwise `https://<container>.vault.azure.net`.
    public init(override: URL?, http: AzureHTTP, tokens: EntraTokenCache) {
        self.http = http
        self.tokens = tokens
        self.vaultURL = { location in
            if let override { return override }
            guard let container = location.container, container.range(of: "^[0-9a-zA-Z-]{3,24}$", options: .regularExpression) != nil,
                  let url = URL(string: "https://\(container).vault.azure.net") else {
                throw StepError.misconfigured("\(location.displayName): storage.container must be a Key Vault name (3-24 letters, digits, hyphens)")
            }
            return url
        }
    }

    func vault(_ location: StorageLocation) throws -> KeyVaultSecrets {
        guard location.name.range(of: "^[0-9a-zA-Z-]{1,127}$", options: .regularExpression) != nil else {
            throw StepError.misconfigured("\(location.displayName): a Key Vault secret name is 1-127 letters, digits and hyphens")
        }
        return KeyVaultSecrets(vault: try vaultURL(location), http: http, tokens: tokens)
    }

    func staging(_ vault: KeyVaultSecrets, _ name: String) async throws(AzureError) -> KeyVaultStaging {
        let versions = try await vault.versions(name: name)
        guard !versions.isEmpty else { return KeyVaultStaging(versions: [], latest: nil) }
        var latest: String?
        if !versions.contains(where: { $0.tags[KeyVaultTag.stage] == KeyVaultTag.current && $0.enabled }) {
            latest = try await latestVersion(vault, name)
        }
        return KeyVaultStaging(versions: versions, latest: latest)
    }

    /// The Key Vault version "latest" resolves to; nil when it is disabled or there is none.
    func latestVersion(_ vault: KeyVaultSecrets, _ name: String) async throws(AzureError) -> String? {
        do {
            return try await vault.get(name: name, version: nil)?.version.version
        } catch let error where error.status == 403 && error.detailCode == "SecretDisabled" {
            return nil
        }
    }

    public func putPending(secret: StorageLocation, versionID: String, value: SecretValue) async throws {
        try await putPending(secret: secret, versionID: versionID, value: value, keyID: nil)
    }

    /// ``putPending(secret:versionID:value:)`` that also tags the version with the Entra `keyId`
    /// the value belongs to, so a later rotation knows which password to remove.
    public func putPending(secret: StorageLocation, versionID: String, value: SecretValue, keyID: String?) async throws {
        let vault = try vault(secret)
        try await adapting { () throws(AzureError) in
            let staging = try await staging(vault, secret.name)
            if staging.group(versionID) != nil { return }
            var tags = [KeyVaultTag.version: versionID, KeyVaultTag.stage: KeyVaultTag.pending]
            if let keyID { tags[KeyVaultTag.keyID] = keyID }
            _ = try await vault.set(name: secret.name, value: value, tags: tags)
        }
    }

    public func value(secret: StorageLocation, versionID: String) async throws -> SecretValue? {
        let vault = try vault(secret)
        return try await adapting { () throws(AzureError) -> SecretValue? in
            let staging = try await staging(vault, secret.name)
            guard let member = staging.group(versionID)?.newestEnabled else { return nil }
            return try await vault.get(name: secret.name, version: member.version)?.value
        }
    }

    public func versions(secret: StorageLocation) async throws -> [SecretVersionInfo] {
        let vault = try vault(secret)
        return try await adapting { () throws(AzureError) in try await staging(vault, secret.name).infos }
    }

    /// The Entra `keyId` recorded on a version (nil for a version made by hand).
    public func keyID(secret: StorageLocation, versionID: String) async throws -> String? {
        let vault = try vault(secret)
        return try await adapting { () throws(AzureError) in try await staging(vault, secret.name).group(versionID)?.keyID }
    }

    public func makeCurrent(secret: StorageLocation, versionID: String) async throws {
        let vault = try vault(secret)
        try await adapting { () throws(AzureError) in
            let staging = try await staging(vault, secret.name)
            guard let target = staging.group(versionID), target.isEnabled else {
                throw AzureError(service: .keyVault, operation: "makeCurrent", status: 404, code: "SecretNotFound", detailCode: nil,
                                 message: "\(secret.name) has no enabled version \(versionID)")
            }
            let oldCurrent = staging.current
            for member in target.members where member.enabled && member.tags[KeyVaultTag.stage] != KeyVaultTag.current {
                try await retag(vault, secret.name, member, group: target.id, stage: KeyVaultTag.current)
            }
            for group in staging.groups where group.id != versionID {
                let stage: String?
                if group.id == oldCurrent, oldCurrent != versionID {
                    stage = KeyVaultTag.previous
                } else if group.stageTag == KeyVaultTag.current {
                    // Still tagged current after an interrupted makeCurrent: it was the current one.
                    stage = KeyVaultTag.previous
                } else if group.stageTag == KeyVaultTag.previous, oldCurrent != versionID {
                    stage = nil
                } else {
                    continue
                }
                for member in group.members where member.enabled && member.tags[KeyVaultTag.stage] != stage {
                    try await retag(vault, secret.name, member, group: group.id, stage: stage)
                }
            }
        }
    }

    public func discardPending(secret: StorageLocation, versionID: String) async throws {
        let vault = try vault(secret)
        try await adapting { () throws(AzureError) in
            let staging = try await staging(vault, secret.name)
            // Pending, or already moved back to previous by promote's rollback: either way a
            // version whose secret is being withdrawn, and never the current one.
            guard let group = staging.group(versionID), group.isEnabled, staging.current != versionID else { return }
            let latest = try await latestVersion(vault, secret.name)
            if let latest, group.members.contains(where: { $0.version == latest }),
               let currentID = staging.current, let current = staging.group(currentID)?.newestEnabled,
               let value = try await vault.get(name: secret.name, version: current.version)?.value {
                var tags = current.tags
                tags[KeyVaultTag.version] = currentID
                tags[KeyVaultTag.stage] = KeyVaultTag.current
                _ = try await vault.set(name: secret.name, value: value, tags: tags, contentType: current.contentType)
            }
            for member in group.members where member.enabled {
                var tags = member.tags
                tags[KeyVaultTag.version] = versionID
                tags[KeyVaultTag.stage] = KeyVaultTag.discarded
                try await vault.update(name: secret.name, version: member.version, tags: tags, enabled: false)
            }
        }
    }

    func retag(_ vault: KeyVaultSecrets, _ name: String, _ member: KeyVaultVersion, group: String, stage: String?) async throws(AzureError) {
        var tags = member.tags
        tags[KeyVaultTag.version] = group
        tags[KeyVaultTag.stage] = stage
        try await vault.update(name: name, version: member.version, tags: tags)
    }

    func adapting<T>(_ body: () async throws(AzureError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}
