import AegisCore
import Crypto
import Foundation

/// ACL passwords by hash. `ACL SETUSER u #<hex>` adds and `!<hex>` removes a password by its
/// SHA-256, so the plaintext never crosses the wire; `ACL GETUSER` lists only these hashes.
public enum RedisACL {
    /// SHA-256 of the password, lowercase hex: the form Redis stores and `ACL GETUSER` reports.
    public static func passwordHash(_ password: SecretValue) -> String {
        Hex.encode(SHA256.hash(data: password.revealSecretBytes()))
    }

    /// The user's password hashes, or nil when the user does not exist.
    public static func passwordHashes(user: String, on connection: RedisConnection) async throws(RedisClientError) -> Set<String>? {
        let reply = try await connection.run(RESPCommand("ACL", "GETUSER", user))
        if reply == .null { return nil }
        guard let fields = reply.array else { throw .protocolViolation("ACL GETUSER did not return an array") }
        var index = 0
        while index + 1 < fields.count {
            if fields[index].text == "passwords" {
                guard let hashes = fields[index + 1].array else { throw .protocolViolation("ACL GETUSER passwords is not an array") }
                return Set(hashes.compactMap(\.text))
            }
            index += 2
        }
        throw .protocolViolation("ACL GETUSER has no passwords field")
    }

    /// Adds the password's hash to the user (a no-op in Redis when it is there already).
    public static func addPassword(_ password: SecretValue, user: String, on connection: RedisConnection) async throws(RedisClientError) {
        try await connection.run(RESPCommand("ACL", "SETUSER", user, "#" + passwordHash(password)))
    }

    /// Removes the password's hash from the user. Redis refuses to remove a hash the user does not
    /// have, so callers check first (that keeps the step idempotent).
    public static func removePassword(_ password: SecretValue, user: String, on connection: RedisConnection) async throws(RedisClientError) {
        try await connection.run(RESPCommand("ACL", "SETUSER", user, "!" + passwordHash(password)))
    }
}
