import Logging
import ServiceLifecycle
import UnixSignals

/// The bot's promise: after SIGTERM (or SIGINT) the process exits within 10 s, whatever it is doing.
///
/// The budget, in order: the Socket Mode sockets close at once (a second for the close
/// handshake); a running rotation step and a firing timer get `AEGIS_SHUTDOWN_GRACE` (4 s, at
/// most 6 s) and are then cancelled, which leaves them as a crash would, for the next start; the
/// adapters' HTTP clients get ``clientCloseLimit``. A service that still has not ended after
/// ``gracefulLimit`` is cancelled; one that ignores even that for ``cancellationLimit`` makes the
/// service group stop the process (non-zero exit), which crash safety covers. Kubernetes'
/// `terminationGracePeriodSeconds` (deploy/kubernetes) leaves room above the 10 s.
public enum BoundedShutdown {
    public static let gracefulLimit: Duration = .seconds(7)
    public static let cancellationLimit: Duration = .milliseconds(1_500)
    public static let clientCloseLimit: Duration = .seconds(1)

    static func configuration(services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = gracefulLimit
        configuration.maximumCancellationDuration = cancellationLimit
        return configuration
    }
}
