import AegisCore
import Foundation

/// The requirepass mode: one password for the `default` user, set with `CONFIG SET requirepass`.
/// Redis has no hashed form for it, so the value crosses the wire here (use TLS); setting the
/// same value again is harmless, which makes both the phase and its rollback idempotent.
extension RedisPasswordStep {
    /// `CONFIG SET requirepass` to the value of the version `fact` names (setting it again is harmless).
    func setRequirepass(to fact: String, _ context: StepContext) async throws -> String {
        let target = try await value(of: fact, context)
        return try await withAdmin("\(context.step.name) (CONFIG SET requirepass)") { connection throws(RedisClientError) in
            try await connection.run(RESPCommand([.text("CONFIG"), .text("SET"), .text("requirepass"), .secret(target.value)]))
            return "requirepass set to version \(target.version)"
        }
    }
}
