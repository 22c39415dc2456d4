import ServiceLifecycle

/// Several services run as one: started together and told to shut down together.
///
/// A `ServiceGroup` shuts its services down one after another, waiting for each. The engine and
/// the timer scheduler each give running work a grace period on shutdown (``ShutdownGrace``), and
/// two graces in a row would not fit the 10 s the bot promises after SIGTERM, so both run here and
/// see graceful shutdown at the same moment. If one throws, the others are cancelled.
public struct ConcurrentServices: Service {
    let services: [any Service]

    public init(_ services: [any Service]) { self.services = services }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for service in services {
                group.addTask { try await service.run() }
            }
        }
    }
}
