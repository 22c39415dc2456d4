import Metrics
import Synchronization

/// Counters for readiness, `/metrics` (also reported to swift-metrics) and the benchmark. Updated on the socket's hot path, so
/// they are a lock, not an actor: recording never suspends the read loop. Only the most recent
/// 10,000 ack latencies are kept.
public final class SocketModeStats: Sendable {
    private struct State {
        var acks = 0
        var latencies: [Duration] = []
        var next = 0
        var reconnects = 0
        var connected = 0
        var duplicatesIgnored = 0
        var handedOff = 0
    }

    private let state = Mutex(State())
    static let keptLatencies = 10_000
    /// Made once: looking a metric up per envelope would cost a registry lock on the hot path.
    private let ackLatency = Metrics.Timer(label: "aegis_slack_ack_latency_seconds")
    private let reconnectCount = Counter(label: "aegis_slack_reconnects_total")
    private let duplicateCount = Counter(label: "aegis_slack_duplicate_envelopes_total")
    /// Moved up and down, never set: several Socket Mode clients in one process (connection
    /// slots, the test suite's bots) add up instead of overwriting each other's count.
    private let connections = Meter(label: "aegis_slack_connections")

    /// Creates the metric handles from the process's metrics system: bootstrap it first.
    public init() {}

    public var acks: Int { state.withLock { $0.acks } }
    public var reconnects: Int { state.withLock { $0.reconnects } }
    public var connected: Int { state.withLock { $0.connected } }
    public var duplicatesIgnored: Int { state.withLock { $0.duplicatesIgnored } }
    /// Envelopes given to the handler's task: acked ones it wanted, less duplicates.
    public var handedOff: Int { state.withLock { $0.handedOff } }
    /// The most recent ack latencies (socket read → ack written), oldest first is not guaranteed.
    public var recentAckLatencies: [Duration] { state.withLock { $0.latencies } }

    func recordAck(latency: Duration) {
        ackLatency.recordNanoseconds(
            latency.components.seconds * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000)
        state.withLock { state in
            state.acks += 1
            if state.latencies.count < Self.keptLatencies {
                state.latencies.append(latency)
            } else {
                state.latencies[state.next] = latency
                state.next = (state.next + 1) % Self.keptLatencies
            }
        }
    }

    func recordReconnect() {
        reconnectCount.increment()
        state.withLock { $0.reconnects += 1 }
    }

    func recordHandOff() {
        state.withLock { $0.handedOff += 1 }
    }

    func recordDuplicate() {
        duplicateCount.increment()
        state.withLock { $0.duplicatesIgnored += 1 }
    }

    func connectionUp() {
        state.withLock { $0.connected += 1 }
        connections.increment()
    }

    func connectionDown() {
        let wasUp = state.withLock { state -> Bool in
            guard state.connected > 0 else { return false }
            state.connected -= 1
            return true
        }
        if wasUp { connections.decrement() }
    }

}
