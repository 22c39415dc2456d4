import Foundation

/// Test-only fault injection: when the configured point is reached the process SIGKILLs itself,
/// exactly as an OOM kill or a node failure would, so tests can prove recovery from every step
/// boundary. Configured by `AEGIS_CRASH_POINT`; inert when unset.
struct CrashPoint: Sendable {
    let configured: String?

    func reached(_ point: String) {
        guard let configured, configured == point else { return }
        FileHandle.standardError.write(Data("aegis-rotate: crash point \(point) reached, SIGKILL\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
