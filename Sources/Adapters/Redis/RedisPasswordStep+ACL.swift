import AegisCore
import Foundation

/// The ACL phases and their rollbacks. Each reads the user's password hashes first and changes
/// only what differs, so a re-run after a crash is harmless and Redis never sees a removal of a
/// hash the user lacks (which it refuses).
extension RedisPasswordStep {
    func addNewACLPassword(user: String, _ context: StepContext) async throws -> String {
        let new = try await value(of: FactKey.newVersion, context)
        return try await withAdmin("\(context.step.name) (ACL SETUSER \(user))") { connection throws(RedisClientError) in
            let hashes = try await existingHashes(user, connection)
            let hash = RedisACL.passwordHash(new.value)
            if hashes.contains(hash) {
                return "ACL user \(user): new password (version \(new.version)) already present; \(hashes.count) password(s)"
            }
            try await RedisACL.addPassword(new.value, user: user, on: connection)
            return "ACL user \(user): added the new password (version \(new.version)) as a SHA-256 hash; \(hashes.count + 1) password(s) valid"
        }
    }

    func removeOldACLPassword(user: String, _ context: StepContext) async throws -> String {
        let old = try await value(of: FactKey.oldVersion, context)
        let new = try await value(of: FactKey.newVersion, context)
        return try await withAdmin("\(context.step.name) (ACL SETUSER \(user))") { connection throws(RedisClientError) in
            let hashes = try await existingHashes(user, connection)
            let oldHash = RedisACL.passwordHash(old.value)
            guard hashes.contains(RedisACL.passwordHash(new.value)) else {
                // Removing the old password now would lock every client out.
                throw RedisClientError.reply(command: "ACL SETUSER", code: "AEGIS",
                                             message: "user \(user) does not have the new password (version \(new.version)); refusing to remove the old one")
            }
            guard hashes.contains(oldHash), oldHash != RedisACL.passwordHash(new.value) else {
                return "ACL user \(user): old password (version \(old.version)) already removed"
            }
            try await RedisACL.removePassword(old.value, user: user, on: connection)
            return "ACL user \(user): removed the old password (version \(old.version)); \(hashes.count - 1) password(s) valid"
        }
    }

    /// Back to the state before `add`: the old password present, the new one gone.
    func undoAddACLPassword(user: String, _ context: StepContext) async throws -> String? {
        guard context.facts[FactKey.newVersion] != nil else { return nil }
        let new = try await value(of: FactKey.newVersion, context)
        let old = try await value(of: FactKey.oldVersion, context)
        return try await withAdmin("rollback of \(context.step.name) (ACL SETUSER \(user))") { connection throws(RedisClientError) -> String? in
            let hashes = try await existingHashes(user, connection)
            let newHash = RedisACL.passwordHash(new.value)
            var done: [String] = []
            if !hashes.contains(RedisACL.passwordHash(old.value)) {
                try await RedisACL.addPassword(old.value, user: user, on: connection)
                done.append("re-added the old password (version \(old.version))")
            }
            if hashes.contains(newHash), newHash != RedisACL.passwordHash(old.value) {
                try await RedisACL.removePassword(new.value, user: user, on: connection)
                done.append("removed the new password (version \(new.version))")
            }
            return done.isEmpty ? nil : "ACL user \(user): " + done.joined(separator: ", ")
        }
    }

    /// Back to the state before `remove-old`: the old password present again.
    func undoRemoveOldACLPassword(user: String, _ context: StepContext) async throws -> String? {
        let old = try await value(of: FactKey.oldVersion, context)
        return try await withAdmin("rollback of \(context.step.name) (ACL SETUSER \(user))") { connection throws(RedisClientError) -> String? in
            let hashes = try await existingHashes(user, connection)
            guard !hashes.contains(RedisACL.passwordHash(old.value)) else { return nil }
            try await RedisACL.addPassword(old.value, user: user, on: connection)
            return "ACL user \(user): re-added the old password (version \(old.version))"
        }
    }

    /// The user's hashes; a missing user is an error (creating it here would make a user with no
    /// permissions, which is never what the runbook means).
    private func existingHashes(_ user: String, _ connection: RedisConnection) async throws(RedisClientError) -> Set<String> {
        guard let hashes = try await RedisACL.passwordHashes(user: user, on: connection) else {
            throw RedisClientError.reply(command: "ACL GETUSER", code: "AEGIS", message: "ACL user \(user) does not exist; create it first")
        }
        return hashes
    }
}
