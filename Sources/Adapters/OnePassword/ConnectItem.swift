import AegisCore
import Foundation

/// One field of a 1Password item as Connect returns it. The value is a ``SecretValue`` from the
/// moment it is parsed, so no description of a field can print it.
struct ConnectField: Sendable {
    var id: String
    var label: String?
    var purpose: String?
    var type: String?
    var value: SecretValue?

    init?(json: [String: Any]) {
        guard let id = json["id"] as? String else { return nil }
        self.id = id
        label = json["label"] as? String
        purpose = json["purpose"] as? String
        type = json["type"] as? String
        value = (json["value"] as? String).map(SecretValue.init(utf8:))
    }
}

/// A full item (`GET /v1/vaults/{vault}/items/{item}`): what the store reads its stages from.
struct ConnectItem: Sendable {
    var id: String
    var vaultID: String
    /// Connect's item version, +1 on every write; 1Password keeps the earlier ones in the item's history.
    var version: Int
    var updatedAt: Date?
    var fields: [ConnectField]

    init?(json: [String: Any]) {
        guard let id = json["id"] as? String, let vault = json["vault"] as? [String: Any], let vaultID = vault["id"] as? String else { return nil }
        self.id = id
        self.vaultID = vaultID
        version = json["version"] as? Int ?? 0
        updatedAt = (json["updatedAt"] as? String).flatMap(Timestamps.parseISO8601)
        fields = (json["fields"] as? [[String: Any]] ?? []).compactMap(ConnectField.init(json:))
    }

    func field(labelled label: String) -> ConnectField? { fields.first { $0.label == label } }
}

/// One RFC 6902 operation of a `PATCH /v1/vaults/{vault}/items/{item}`, on the item's fields.
/// Connect applies a whole patch or none of it, so one rotation step is one patch.
enum ConnectPatchOperation: Sendable {
    /// `replace /fields/<id>/value`.
    case replaceValue(fieldID: String, SecretValue)
    /// `add /fields`: a new field appended, its ID made by Connect.
    case addField(label: String, concealed: Bool, SecretValue)
    /// `remove /fields/<id>`.
    case removeField(fieldID: String)

    /// The JSON the request carries; the only place a value is revealed.
    var json: [String: Any] {
        switch self {
        case .replaceValue(let id, let value):
            ["op": "replace", "path": "/fields/\(Self.pointerEscaped(id))/value", "value": value.revealSecretString()]
        case .addField(let label, let concealed, let value):
            ["op": "add", "path": "/fields", "value": ["label": label, "type": concealed ? "CONCEALED" : "STRING", "value": value.revealSecretString()]]
        case .removeField(let id):
            ["op": "remove", "path": "/fields/\(Self.pointerEscaped(id))"]
        }
    }

    var value: SecretValue? {
        switch self {
        case .replaceValue(_, let value), .addField(_, _, let value): value
        case .removeField: nil
        }
    }

    /// A JSON Pointer segment (RFC 6901): `~` and `/` escaped.
    static func pointerEscaped(_ segment: String) -> String {
        segment.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
