import AegisCore
import Foundation

/// `gcp-secret-manager`: a ``SecretStore`` on Google Cloud Secret Manager, `storage.container` the
/// project ID and `storage.name` the secret ID (`projects/<container>/secrets/<name>`).
///
/// Stages are version aliases (`current`, `previous`, `pending`), chosen over labels because an
/// alias names a version: applications read `versions/current` and get the value in use, while
/// `latest` is simply the newest version, pending included. Our version IDs are annotations on
/// the secret (``SecretManagerStaging``). Every alias change is conditional on the secret's etag.
/// Nothing is ever destroyed: a rollback disables the withdrawn version, and when that version
/// was the newest, it first adds the current value again as the newest, so readers of `latest`
/// get the old value back too. The secret itself (with its replication) is made by a person;
/// the bot only adds versions to it.
public struct GCPSecretManagerStore: SecretStore {
    let client: SecretManagerClient

    init(client: SecretManagerClient) { self.client = client }

    func staging(_ name: SecretManagerName) async throws(GCPError) -> SecretManagerStaging {
        SecretManagerStaging(secret: try await client.secret(name), versions: try await client.versions(name))
    }

    public func putPending(secret location: StorageLocation, versionID: String, value: SecretValue) async throws {
        let name = try SecretManagerName(location)
        try await adapting { () throws(GCPError) in
            var staging = try await staging(name)
            let number: Int
            if let existing = staging.newestEnabled(versionID) {
                guard staging.stages(of: versionID).isEmpty else { return }
                number = existing.number
            } else if staging.secret.annotations[SecretManagerStaging.stagingAnnotation] == versionID,
                      let adopted = try await orphan(of: value, in: staging, name) {
                number = adopted
            } else {
                var aliases = staging.secret.aliases
                var annotations = staging.secret.annotations
                annotations[SecretManagerStaging.stagingAnnotation] = versionID
                // Pin a hand-made current under its alias before anything is added, so neither
                // `versions/current` nor a re-run after a crash mistakes the new version for it.
                if aliases[SecretStage.current.rawValue] == nil, let current = staging.current {
                    aliases[SecretStage.current.rawValue] = current
                }
                try await client.update(name, aliases: aliases, annotations: annotations, etag: staging.secret.etag)
                number = try await client.addVersion(name, value: value).number
            }
            staging = try await self.staging(name)
            var aliases = staging.secret.aliases
            var annotations = staging.secret.annotations
            aliases[SecretStage.pending.rawValue] = number
            annotations[SecretManagerStaging.annotationPrefix + "\(number)"] = versionID
            annotations[SecretManagerStaging.stagingAnnotation] = nil
            try await client.update(name, aliases: aliases, annotations: annotations, etag: staging.secret.etag)
        }
    }

    /// A version added by a run that crashed before naming it: newer than every named one,
    /// enabled, holding exactly `value`.
    func orphan(of value: SecretValue, in staging: SecretManagerStaging, _ name: SecretManagerName) async throws(GCPError) -> Int? {
        let newestMapped = staging.versions.filter { staging.isMapped($0.number) }.map(\.number).max() ?? 0
        for version in staging.versions where version.state == .enabled && !staging.isMapped(version.number) && version.number > newestMapped {
            if try await client.access(name, version: version.number).constantTimeEquals(value) { return version.number }
        }
        return nil
    }

    public func value(secret location: StorageLocation, versionID: String) async throws -> SecretValue? {
        let name = try SecretManagerName(location)
        return try await adapting { () throws(GCPError) -> SecretValue? in
            guard let version = try await staging(name).newestEnabled(versionID) else { return nil }
            return try await client.access(name, version: version.number)
        }
    }

    public func versions(secret location: StorageLocation) async throws -> [SecretVersionInfo] {
        let name = try SecretManagerName(location)
        return try await adapting { () throws(GCPError) in try await staging(name).infos }
    }

    public func makeCurrent(secret location: StorageLocation, versionID: String) async throws {
        let name = try SecretManagerName(location)
        try await adapting { () throws(GCPError) in
            let staging = try await staging(name)
            guard let target = staging.newestEnabled(versionID) else {
                throw GCPError(operation: "make \(versionID) current in \(name.path)", unusable: "the secret has no enabled version \(versionID)")
            }
            let group = Set(staging.members(versionID).map(\.number))
            var aliases = staging.secret.aliases
            if let current = staging.current, !group.contains(current) { aliases[SecretStage.previous.rawValue] = current }
            aliases[SecretStage.current.rawValue] = target.number
            if let pending = aliases[SecretStage.pending.rawValue], group.contains(pending) { aliases[SecretStage.pending.rawValue] = nil }
            guard aliases != staging.secret.aliases else { return }
            try await client.update(name, aliases: aliases, annotations: staging.secret.annotations, etag: staging.secret.etag)
        }
    }

    public func discardPending(secret location: StorageLocation, versionID: String) async throws {
        let name = try SecretManagerName(location)
        try await adapting { () throws(GCPError) in
            var staging = try await staging(name)
            let group = staging.members(versionID).filter { $0.state == .enabled }
            guard !group.isEmpty, let current = staging.current, !group.contains(where: { $0.number == current }) else { return }
            var aliases = staging.secret.aliases
            var annotations = staging.secret.annotations
            if let newest = staging.versions.first, group.contains(newest) {
                // Readers of `latest` must get the current value again: add it as the newest.
                let restored = try await client.addVersion(name, value: try await client.access(name, version: current))
                annotations[SecretManagerStaging.annotationPrefix + "\(restored.number)"] = staging.id(of: current)
                aliases[SecretStage.current.rawValue] = restored.number
                staging = try await self.staging(name)
            }
            let numbers = Set(group.map(\.number))
            for stage in [SecretStage.pending, .previous] where aliases[stage.rawValue].map(numbers.contains) == true {
                aliases[stage.rawValue] = nil
            }
            if aliases != staging.secret.aliases || annotations != staging.secret.annotations {
                try await client.update(name, aliases: aliases, annotations: annotations, etag: staging.secret.etag)
            }
            for version in group { try await client.disable(name, version: version.number) }
        }
    }

    func adapting<T>(_ body: () async throws(GCPError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}
