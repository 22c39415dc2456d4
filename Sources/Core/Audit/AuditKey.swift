import Crypto
import Foundation

/// The key of the audit chain's HMAC (`AEGIS_AUDIT_KEY` or `AEGIS_AUDIT_KEY_FILE`). Whoever can
/// write the state store but does not hold this key cannot add, change or re-chain records
/// without `audit verify` noticing. Keep it where the bot reads it and the state store's other
/// writers do not (a Kubernetes Secret mounted into the bot only).
public struct AuditKey: Sendable {
    let key: SymmetricKey

    /// At least 32 bytes of key material (the text of the setting, as UTF-8).
    public static let minimumLength = 32

    public init(material: SecretValue) throws(AuditKeyError) {
        let bytes = Array(material.revealSecretString().utf8)
        guard bytes.count >= Self.minimumLength else { throw AuditKeyError.tooShort(bytes.count) }
        key = SymmetricKey(data: bytes)
    }

    func mac(_ text: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    /// For the local sandbox only: a key file beside the state store, made on first use (0600).
    /// It protects against accidental edits and a careless operator, not against someone who can
    /// read that folder; production requires the key from the environment or a mounted file.
    public static func localKeyFile(_ path: String) throws -> AuditKey {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            var bytes = [UInt8](repeating: 0, count: 48)
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
            let text = Data(bytes).base64EncodedString()
            guard manager.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw AuditKeyError.unreadable(path)
            }
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw AuditKeyError.unreadable(path) }
        return try AuditKey(material: SecretValue(utf8: text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

public enum AuditKeyError: Error, CustomStringConvertible, Sendable {
    case tooShort(Int)
    case unreadable(String)

    public var description: String {
        switch self {
        case .tooShort(let count): "the audit key has \(count) bytes; it needs at least \(AuditKey.minimumLength) (e.g. `openssl rand -base64 48`)"
        case .unreadable(let path): "cannot read or create the audit key file \(path)"
        }
    }
}
