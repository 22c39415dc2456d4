/// The port a server bound, announced once it listens (servers started on port 0). Used by the
/// in-repo fakes, whose start waits for it with a deadline.
public actor AnnouncedPort {
    private var port = 0

    public init() {}

    public func set(_ value: Int) { port = value }

    /// The port, or 0 before the server listens.
    public var value: Int { port }

    /// Waits until the server listens; throws ``DeadlineExceeded`` naming `server` after `limit`.
    public func wait(for server: String, limit: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + limit
        while port == 0 {
            guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: "\(server) to listen", after: limit) }
            try await Task.sleep(for: .milliseconds(10))
        }
        return port
    }
}
