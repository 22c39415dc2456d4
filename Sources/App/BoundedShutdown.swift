import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The bot's promise: after SIGTERM (or SIGINT) the process exits within 10 s, whatever it is doing.
///
/// The budget, in order: the Socket Mode sockets close at once (a second for the close
/// handshake); a running rotation step and a firing timer get `AEGIS_SHUTDOWN_GRACE` (4 s, at
/// most 6 s) and are then cancelled, which leaves them as a crash would, for the next start; the
/// Slack outbox gets ``outboxFlushLimit`` to send what is queued; the adapters' HTTP clients get
/// ``clientCloseLimit``. A service that still has not ended after
/// ``gracefulLimit`` is cancelled. The executable adds a last resort (``armExitBackstop()``): if
/// the process is still there ``backstop`` after the signal, it exits with status 70, which crash
/// safety covers. That backstop is not in the service group (whose own cancellation limit is a
/// `fatalError`), so the bot can also run inside a test process. Kubernetes'
/// `terminationGracePeriodSeconds` (deploy/kubernetes) leaves room above the 10 s.
public enum BoundedShutdown {
    public static let gracefulLimit: Duration = .seconds(7)
    public static let clientCloseLimit: Duration = .seconds(1)
    /// After the engine stopped, how long the Slack outbox may still send what it holds.
    public static let outboxFlushLimit: Duration = .milliseconds(1_500)
    public static let backstop: Duration = .milliseconds(9_500)
    public static let backstopExitStatus: Int32 = 70

    static func configuration(services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = gracefulLimit
        return configuration
    }

    /// For the executable only: on the first SIGTERM or SIGINT, starts a timer that ends the
    /// process ``backstop`` later if the graceful shutdown has not (status 70, and a line on
    /// standard error). Never fires when shutdown works as designed.
    public static func armExitBackstop() {
        let queue = DispatchQueue(label: "aegis-rotate.exit-backstop")
        let limit = Double(backstop.components.seconds) + Double(backstop.components.attoseconds) / 1e18
        for signalNumber in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                queue.asyncAfter(deadline: .now() + limit) {
                    FileHandle.standardError.write(Data("aegis-rotate: shutdown did not finish within \(backstop) of the signal; exiting\n".utf8))
                    exit(backstopExitStatus)
                }
            }
            source.resume()
            backstopSources.append(source)
        }
    }

    /// Kept alive for the process's lifetime. Written only by ``armExitBackstop()``, which the
    /// executable calls once before anything runs concurrently.
    nonisolated(unsafe) private static var backstopSources: [any DispatchSourceSignal] = []
}
