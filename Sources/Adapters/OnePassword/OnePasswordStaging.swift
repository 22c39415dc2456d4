import AegisCore
import Foundation

/// How the store keeps stages inside one 1Password item, which has no version history Connect
/// exposes (see ``OnePasswordStore``). Fields, found by label:
///
/// - the item's password field (purpose `PASSWORD`, else the field labelled `password` or
///   `credential`): the current value, what developers copy;
/// - `aegis-current-version`, `aegis-current-since`: our ID for that value and when it became
///   current (for `due`; without it, the item's `updatedAt`);
/// - `aegis-pending-version` + `aegis-pending-value` (concealed): the value staged, not yet current;
/// - `aegis-previous-version` + `aegis-previous-value` (concealed): the value that was current
///   before, what a rollback after promotion restores.
struct OnePasswordStaging: Sendable {
    static let currentVersionLabel = "aegis-current-version"
    static let currentSinceLabel = "aegis-current-since"
    static let pendingVersionLabel = "aegis-pending-version"
    static let pendingValueLabel = "aegis-pending-value"
    static let previousVersionLabel = "aegis-previous-version"
    static let previousValueLabel = "aegis-previous-value"
    static let ownLabels: Set<String> = [currentVersionLabel, currentSinceLabel, pendingVersionLabel, pendingValueLabel, previousVersionLabel, previousValueLabel]
    /// The ID of a current value the bot did not put there (the item was made by hand).
    static let unmarkedCurrentID = "1password-initial"

    /// One stage's ID and value.
    struct Staged: Sendable {
        var versionID: String
        var value: SecretValue
    }

    let item: ConnectItem

    /// The field developers read; nil when the item has none the store recognises.
    var passwordField: ConnectField? {
        let candidates = item.fields.filter { !Self.ownLabels.contains($0.label ?? "") }
        return candidates.first { $0.purpose == "PASSWORD" }
            ?? candidates.first { ["password", "credential"].contains($0.label?.lowercased() ?? "") }
    }

    func text(_ label: String) -> String? {
        guard let text = item.field(labelled: label)?.value?.revealSecretString(), !text.isEmpty else { return nil }
        return text
    }

    func staged(version versionLabel: String, value valueLabel: String) -> Staged? {
        guard let id = text(versionLabel), let value = item.field(labelled: valueLabel)?.value else { return nil }
        return Staged(versionID: id, value: value)
    }

    var current: Staged? {
        guard let value = passwordField?.value, !value.isEmpty else { return nil }
        return Staged(versionID: text(Self.currentVersionLabel) ?? Self.unmarkedCurrentID, value: value)
    }

    var currentSince: Date? { text(Self.currentSinceLabel).flatMap(Timestamps.parseISO8601) ?? item.updatedAt }

    var pending: Staged? { staged(version: Self.pendingVersionLabel, value: Self.pendingValueLabel) }

    var previous: Staged? { staged(version: Self.previousVersionLabel, value: Self.previousValueLabel) }

    func value(of versionID: String) -> SecretValue? {
        [current, pending, previous].compactMap(\.self).first { $0.versionID == versionID }?.value
    }

    var infos: [SecretVersionInfo] {
        var infos: [SecretVersionInfo] = []
        if let current { infos.append(SecretVersionInfo(versionID: current.versionID, createdAt: currentSince, stages: [.current])) }
        for (staged, stage) in [(pending, SecretStage.pending), (previous, .previous)] {
            if let staged, staged.versionID != current?.versionID, !infos.contains(where: { $0.versionID == staged.versionID }) {
                infos.append(SecretVersionInfo(versionID: staged.versionID, createdAt: nil, stages: [stage]))
            }
        }
        return infos
    }

    /// The operation that gives the field labelled `label` this value: a replace when the item
    /// has the field, else an add.
    func set(_ label: String, _ value: SecretValue, concealed: Bool) -> ConnectPatchOperation {
        if let field = item.field(labelled: label) { return .replaceValue(fieldID: field.id, value) }
        return .addField(label: label, concealed: concealed, value)
    }

    func set(_ label: String, text: String) -> ConnectPatchOperation { set(label, SecretValue(utf8: text), concealed: false) }

    /// Removes every field labelled `label`.
    func remove(_ label: String) -> [ConnectPatchOperation] {
        item.fields.filter { $0.label == label }.map { .removeField(fieldID: $0.id) }
    }
}
