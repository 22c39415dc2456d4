import Crypto
import Foundation

/// A credential held in memory. It cannot print, encode or reflect itself: `description`,
/// `debugDescription`, `dump()` and string interpolation all show `<redacted>`.
///
/// The only way to the bytes is ``revealSecretBytes()`` / ``revealSecretString()``. Those names are
/// deliberately loud so `grep -rn revealSecret Sources` lists every place a value leaves the type:
/// a secret store write, a deploy target write, a signature.
public struct SecretValue: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(utf8 string: String) { self.bytes = Array(string.utf8) }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "SecretValue(<redacted>, \(bytes.count) bytes)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    public var byteCount: Int { bytes.count }
    public var isEmpty: Bool { bytes.isEmpty }

    /// Hands out the raw bytes. Call only where the value goes to a store, a target or a signer.
    public func revealSecretBytes() -> [UInt8] { bytes }

    /// Hands out the value as UTF-8 text. Call only where the value goes to a store, a target or a signer.
    public func revealSecretString() -> String { String(decoding: bytes, as: UTF8.self) }

    /// Compares in time that depends only on the lengths, so a comparison leaks nothing by timing.
    public func constantTimeEquals(_ other: SecretValue) -> Bool {
        guard bytes.count == other.bytes.count else { return false }
        var difference: UInt8 = 0
        for index in bytes.indices { difference |= bytes[index] ^ other.bytes[index] }
        return difference == 0
    }

    /// A salted, keyed fingerprint for comparing two values without holding either: HMAC-SHA256
    /// under a per-process random key. Never persisted (SPEC §6: no unsalted hashes of secrets).
    public func ephemeralFingerprint(key: SymmetricKey) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
    }
}

extension SecretValue: Encodable {
    /// Encoding a secret is always a programming error: it would put the value into JSON, a state
    /// row or a log. It throws instead of encoding.
    public func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(
            "<redacted>",
            .init(codingPath: encoder.codingPath, debugDescription: "SecretValue refuses to be encoded")
        )
    }
}
