import AegisCore
import NIOSSL

/// How the Socket Mode client connects. Defaults suit Slack; tests shorten the waits.
public struct SocketModeConfiguration: Sendable {
    /// Concurrent connections (Slack allows up to 10 per app and spreads envelopes across them).
    public var connections: Int
    /// Our own ping period; a ping unanswered by the next one closes the socket.
    public var pingInterval: Duration
    /// A socket with no inbound frame (envelope, ping, pong) for this long is dead.
    public var idleTimeout: Duration
    /// How long to wait for `hello` after connecting.
    public var helloTimeout: Duration
    public var backoffBase: Duration
    public var backoffCap: Duration
    /// Largest inbound message (Slack sends ~50 KB `block_actions`).
    public var maxMessageSize: Int
    /// Envelopes handled at once; more wait their turn (already acked). Bounds memory in a flood.
    public var maxConcurrentHandlers: Int
    public var tls: TLSConfiguration?

    public init(connections: Int = 1, pingInterval: Duration = .seconds(5), idleTimeout: Duration = .seconds(30),
                helloTimeout: Duration = .seconds(10), backoffBase: Duration = .milliseconds(500), backoffCap: Duration = .seconds(30),
                maxMessageSize: Int = 1 << 22, maxConcurrentHandlers: Int = 64, tls: TLSConfiguration? = nil) {
        self.connections = max(1, min(connections, 10))
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.helloTimeout = helloTimeout
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.maxMessageSize = maxMessageSize
        self.maxConcurrentHandlers = max(1, maxConcurrentHandlers)
        self.tls = tls
    }
}

/// Why Socket Mode stopped for good.
public enum SocketModeError: Error, Sendable, CustomStringConvertible {
    /// Slack sent `disconnect` with `link_disabled`: Socket Mode was switched off for the app.
    case linkDisabled
    /// The app token was refused (`invalid_auth`, …): retrying cannot help.
    case authFailed(String)

    public var description: String {
        switch self {
        case .linkDisabled: "Slack disabled Socket Mode for this app (disconnect: link_disabled); turn it back on in the app settings"
        case .authFailed(let code): "Slack refused the app-level token (\(code)); check SLACK_APP_TOKEN (an xapp- token with connections:write)"
        }
    }
}
