/// The port a server bound, announced once it listens (servers started on port 0). Used by the
/// in-repo fakes, whose start waits for it with a deadline.
public actor AnnouncedPort {
    private var port = 0

    public init() {}

    public func set(_ value: Int) { port = value }

    /// The port, or 0 before the server listens.
    public var value: Int { port }

    /// Waits until the server listens; throws ``DeadlineExceeded`` naming `server` after `limit`.
    /// The limit bounds a hang, not a start-up time: on a 2-core machine running the whole suite
    /// in parallel (Python SDK proofs, TLS key generation) a bind has been seen to take over 10 s.
    public func wait(for server: String, limit: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + limit
        while port == 0 {
            guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: "\(server) to listen", after: limit) }
            try await Task.sleep(for: .milliseconds(10))
        }
        return port
    }
}
