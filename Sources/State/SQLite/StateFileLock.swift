import AegisCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One driving process per SQLite state file. Two shells (or a shell and a bot) on one file
/// would both drive the same rotation, each running every step; so the process that drives
/// rotations holds an exclusive `flock` on `<state>.lock` for its whole life, with its pid and
/// start time written in the file so a refused second process can name the holder. The kernel
/// drops the lock when the holder dies, so a crash never leaves the file locked. Read-only CLI
/// commands do not take it. Several replicas need the PostgreSQL store, which uses leases.
public final class StateFileLock: Sendable {
    let descriptor: Int32
    public let path: String

    /// Takes the lock or throws, naming the process that holds it.
    public init(statePath: String) throws {
        path = statePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateStoreError("cannot open the state lock \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw StateStoreError("the state file \(statePath) is in use by another aegis-rotate process (\(holder.isEmpty ? "unknown holder" : holder)); "
                + "one process drives rotations per state file: stop that one first, or use a PostgreSQL state store for several replicas")
        }
        let note = "pid \(getpid()) since \(Timestamps.iso8601(Date()))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
