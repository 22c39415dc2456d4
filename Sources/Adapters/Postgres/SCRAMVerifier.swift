import AegisCore
import Crypto
import Foundation

/// The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677), computed on
/// our side so `ALTER ROLE … PASSWORD` carries the verifier and never the plaintext (what libpq's
/// `PQencryptPasswordConn` and `psql \password` do):
///
///     SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
///     SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, iterations)
///     ClientKey = HMAC(SaltedPassword, "Client Key"),  StoredKey = SHA256(ClientKey)
///     ServerKey = HMAC(SaltedPassword, "Server Key"),  all base64
///
/// PostgreSQL runs the password through SASLprep first. For printable ASCII, SASLprep changes
/// nothing, and the generator only makes ASCII letters and digits, so anything else is refused
/// rather than hashed in a form the server might not match.
public enum SCRAMVerifier {
    /// PostgreSQL's default (`scram_iterations`).
    public static let defaultIterations = 4096
    public static let saltLength = 16

    /// A verifier with a fresh random 16-byte salt.
    public static func make(password: SecretValue, iterations: Int = defaultIterations) throws(SCRAMVerifierError) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try make(password: password, salt: salt, iterations: iterations)
    }

    /// A verifier with the given salt (tests, and comparing with a verifier the server holds).
    public static func make(password: SecretValue, salt: [UInt8], iterations: Int = defaultIterations) throws(SCRAMVerifierError) -> String {
        let bytes = password.revealSecretBytes()
        guard !bytes.isEmpty else { throw .emptyPassword }
        guard bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else { throw .notPrintableASCII }
        guard iterations >= 1, !salt.isEmpty else { throw .badParameters }
        let salted = SymmetricKey(data: pbkdf2SHA256(password: bytes, salt: salt, iterations: iterations))
        let clientKey = Data(HMAC<SHA256>.authenticationCode(for: Array("Client Key".utf8), using: salted))
        let storedKey = Data(SHA256.hash(data: clientKey))
        let serverKey = Data(HMAC<SHA256>.authenticationCode(for: Array("Server Key".utf8), using: salted))
        return "SCRAM-SHA-256$\(iterations):\(Data(salt).base64EncodedString())$\(storedKey.base64EncodedString()):\(serverKey.base64EncodedString())"
    }

    /// PBKDF2 (RFC 8018 §5.2) with HMAC-SHA256, one block: SCRAM needs exactly the hash's 32 bytes.
    static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<max(iterations, 1) {
            block = Array(HMAC<SHA256>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }
}

/// Why no verifier could be made. Never holds the password.
public enum SCRAMVerifierError: Error, Sendable, CustomStringConvertible, Equatable {
    case emptyPassword
    case notPrintableASCII
    case badParameters

    public var description: String {
        switch self {
        case .emptyPassword: "SCRAM verifier: the password is empty"
        case .notPrintableASCII: "SCRAM verifier: the password has characters outside printable ASCII, which would need SASLprep; generate it as alphanumeric"
        case .badParameters: "SCRAM verifier: iterations must be at least 1 and the salt non-empty"
        }
    }
}
