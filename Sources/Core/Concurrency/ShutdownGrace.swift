import ServiceLifecycle

/// Work that may finish what it is doing when graceful shutdown begins, but only for so long.
///
/// A rotation step can take minutes (a rollout, a provider that stopped answering). A pod gets
/// `terminationGracePeriodSeconds` after SIGTERM and is killed after that, so waiting for the step
/// is not an option: `body` gets `grace` after graceful shutdown began, then it is cancelled. The
/// engine leaves an interrupted step exactly as a crash would (marked running, resumed at the next
/// start), so cutting it short loses nothing.
public enum ShutdownGrace {
    public static func run(grace: Duration, _ body: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await body() }
            group.addTask {
                // Without a service group this waits until cancellation.
                do { try await gracefulShutdown() } catch { return }
                try? await Task.sleep(for: grace)
            }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
