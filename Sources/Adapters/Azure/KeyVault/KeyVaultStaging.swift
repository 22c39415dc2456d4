import AegisCore
import Foundation

/// How the store reads stages out of a secret's Key Vault versions (see ``AzureKeyVaultStore``).
///
/// A *group* is one of our version IDs: every Key Vault version tagged with the same
/// `aegis-version` (a write-back after a rollback adds a second one with the same value), or one
/// untagged Key Vault version (made by hand) under its own Key Vault version ID.
struct KeyVaultGroup: Sendable {
    var id: String
    /// Oldest first.
    var members: [KeyVaultVersion]

    var newest: KeyVaultVersion { members[members.count - 1] }
    var newestEnabled: KeyVaultVersion? { members.last { $0.enabled } }
    var isEnabled: Bool { newestEnabled != nil }
    var stageTag: String? { (newestEnabled ?? newest).tags[KeyVaultTag.stage] }
    var keyID: String? { members.reversed().lazy.compactMap { $0.tags[KeyVaultTag.keyID] }.first }
    var tagged: Bool { newest.tags[KeyVaultTag.version] != nil }
}

/// The tags the bot writes on the Key Vault versions it manages. Non-secret.
enum KeyVaultTag {
    /// Our version ID (the rotation's), shared by a value and its write-back copies.
    static let version = "aegis-version"
    /// `pending`, `current`, `previous` or `discarded`.
    static let stage = "aegis-stage"
    /// The Entra password credential (`keyId`) the value is the secret of.
    static let keyID = "aegis-key-id"

    static let pending = "pending"
    static let current = "current"
    static let previous = "previous"
    static let discarded = "discarded"

    static func stageName(_ stage: SecretStage) -> String {
        switch stage {
        case .current: current
        case .previous: previous
        case .pending: pending
        }
    }
}

/// The groups of one secret and the stage each holds.
struct KeyVaultStaging: Sendable {
    var groups: [KeyVaultGroup]
    var current: String?
    var previous: String?
    var pending: [String]

    /// - Parameter latest: the Key Vault version `GET /secrets/{name}` answers, which counts as
    ///   current when no version is tagged current (a secret made by hand).
    init(versions: [KeyVaultVersion], latest: String?) {
        let ordered = versions.enumerated().sorted { lhs, rhs in
            (lhs.element.created ?? .distantPast, lhs.offset) < (rhs.element.created ?? .distantPast, rhs.offset)
        }.map(\.element)
        var groups: [KeyVaultGroup] = []
        for version in ordered {
            let id = version.tags[KeyVaultTag.version] ?? version.version
            if let index = groups.firstIndex(where: { $0.id == id }) {
                groups[index].members.append(version)
            } else {
                groups.append(KeyVaultGroup(id: id, members: [version]))
            }
        }
        self.groups = groups
        let enabled = groups.filter(\.isEnabled)
        let tagged = enabled.filter { $0.stageTag == KeyVaultTag.current }
        if !tagged.isEmpty {
            // Two claim current only between makeCurrent's two PATCHes: the later re-tag wins.
            current = tagged.max { lhs, rhs in
                (lhs.newestEnabled?.updated ?? .distantPast, lhs.newest.created ?? .distantPast) <
                    (rhs.newestEnabled?.updated ?? .distantPast, rhs.newest.created ?? .distantPast)
            }?.id
        } else if let latest, let group = enabled.first(where: { $0.members.contains { $0.version == latest } }),
                  group.stageTag != KeyVaultTag.pending {
            current = group.id
        } else {
            current = enabled.last { $0.stageTag != KeyVaultTag.pending }?.id
        }
        let currentID = current
        previous = enabled.filter { $0.stageTag == KeyVaultTag.previous && $0.id != currentID }
            .max { ($0.newestEnabled?.updated ?? .distantPast) < ($1.newestEnabled?.updated ?? .distantPast) }?.id
        pending = enabled.filter { $0.stageTag == KeyVaultTag.pending && $0.id != currentID }.map(\.id)
    }

    func group(_ id: String) -> KeyVaultGroup? { groups.first { $0.id == id } }

    var infos: [SecretVersionInfo] {
        groups.map { group in
            var stages: Set<SecretStage> = []
            if group.id == current { stages.insert(.current) }
            if group.id == previous { stages.insert(.previous) }
            if pending.contains(group.id) { stages.insert(.pending) }
            return SecretVersionInfo(versionID: group.id, createdAt: group.members.first?.created, stages: stages)
        }
    }
}
