import AegisCore
import Foundation

/// How the store reads stages out of a secret's versions, aliases and annotations (see
/// ``GCPSecretManagerStore``).
///
/// - Our version IDs live in annotations on the secret: `aegis-version-<number>` = the ID. A
///   version without one (made by hand) is `gcp-<number>`. A write-back after a rollback gives a
///   second number the same ID, so one ID may have several numbers: a *group*.
/// - The stages are version aliases: `current`, `previous` and `pending` name numbers, so
///   applications read `versions/current`.
/// - `aegis-staging` = an ID whose version is being added: set before `addVersion`, so a re-run
///   after a crash between the two adopts the version instead of adding a second one.
struct SecretManagerStaging: Sendable {
    static let annotationPrefix = "aegis-version-"
    static let stagingAnnotation = "aegis-staging"

    let secret: SecretManagerSecret
    /// Newest first.
    let versions: [SecretManagerVersion]

    func id(of number: Int) -> String { secret.annotations[Self.annotationPrefix + "\(number)"] ?? "gcp-\(number)" }

    func isMapped(_ number: Int) -> Bool { secret.annotations[Self.annotationPrefix + "\(number)"] != nil }

    func version(_ number: Int?) -> SecretManagerVersion? {
        guard let number else { return nil }
        return versions.first { $0.number == number }
    }

    /// The enabled version an alias names; nil when it names none or a version not enabled.
    func aliased(_ stage: SecretStage) -> Int? {
        guard let number = secret.aliases[stage.rawValue], version(number)?.state == .enabled else { return nil }
        return number
    }

    /// `current`'s number: the alias, else (a secret made by hand) the newest enabled version.
    var current: Int? { aliased(.current) ?? versions.first { $0.state == .enabled && secret.aliases.values.contains($0.number) == false }?.number }

    /// Every number holding `id`, newest first.
    func members(_ id: String) -> [SecretManagerVersion] { versions.filter { self.id(of: $0.number) == id } }

    func newestEnabled(_ id: String) -> SecretManagerVersion? { members(id).first { $0.state == .enabled } }

    func stages(of id: String) -> Set<SecretStage> {
        var stages: Set<SecretStage> = []
        let numbers = Set(members(id).map(\.number))
        if let current, numbers.contains(current) { stages.insert(.current) }
        if let previous = aliased(.previous), numbers.contains(previous), !stages.contains(.current) { stages.insert(.previous) }
        if let pending = aliased(.pending), numbers.contains(pending), !stages.contains(.current) { stages.insert(.pending) }
        return stages
    }

    var infos: [SecretVersionInfo] {
        var seen: [String] = []
        for version in versions.reversed() where version.state == .enabled && !seen.contains(id(of: version.number)) {
            seen.append(id(of: version.number))
        }
        return seen.map { id in
            SecretVersionInfo(versionID: id, createdAt: members(id).last?.created, stages: stages(of: id))
        }
    }
}
