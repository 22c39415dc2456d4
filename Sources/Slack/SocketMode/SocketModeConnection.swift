import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOWebSocket
import SlackWebAPI
import Synchronization
import WSClient

/// One WebSocket to Slack. Reads frames, acks envelopes *before* handing them off, reports
/// `hello`, `disconnect` and its own end as events, and closes itself when asked or when no frame
/// arrived within the idle timeout. Each connection has an ID, so its late events are told apart.
final class SocketModeConnection: Sendable {
    enum Event: Sendable {
        case hello(connections: Int?)
        case disconnect(reason: String)
        case closed(reason: String)
    }

    let id: Int
    let url: String
    let configuration: SocketModeConfiguration
    private let report: @Sendable (Int, Event) -> Void
    private let helloSeen = Mutex(false)
    private let closeRequests: AsyncStream<String>
    private let closeSink: AsyncStream<String>.Continuation
    private let lastInbound = Mutex(ContinuousClock.now)
    private let dispatch: @Sendable (SocketModeEnvelope) -> Void
    private let acknowledgement: @Sendable (SocketModeEnvelope) -> JSONValue?
    private let stats: SocketModeStats
    private let logger: Logger

    /// `report` receives this connection's events tagged with its ID.
    init(id: Int, url: String, configuration: SocketModeConfiguration, stats: SocketModeStats, logger: Logger,
         report: @escaping @Sendable (Int, Event) -> Void,
         acknowledgement: @escaping @Sendable (SocketModeEnvelope) -> JSONValue?,
         dispatch: @escaping @Sendable (SocketModeEnvelope) -> Void) {
        self.report = report
        self.id = id
        self.url = url
        self.configuration = configuration
        self.stats = stats
        var logger = logger
        logger[metadataKey: "slack.connection"] = "\(id)"
        self.logger = logger
        self.acknowledgement = acknowledgement
        self.dispatch = dispatch
        (closeRequests, closeSink) = AsyncStream.makeStream(of: String.self)
    }

    /// Asks the connection to close (make-before-break, shutdown, dead socket).
    func close(_ reason: String) { closeSink.yield(reason) }

    /// Connects and runs until the socket ends; always ends with a `.closed` event.
    func run() async {
        var wsConfiguration = WebSocketClientConfiguration(
            maxFrameSize: configuration.maxMessageSize, closeTimeout: .seconds(1),
            autoPing: .enabled(timePeriod: configuration.pingInterval))
        if let host = URL(string: url)?.host, host.first?.isNumber == true, url.hasPrefix("wss") { wsConfiguration.sniHostname = "localhost" }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let final: String
        do {
            final = try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
                try await self.connect(wsConfiguration, on: loop)
            }
        } catch {
            final = "socket error: \(type(of: error))"
        }
        logger.info("Socket Mode connection ended", metadata: ["reason": "\(final)"])
        report(id, .closed(reason: final))
    }

    /// The socket's life, its frames read and acked on `loop`, until Slack, the idle check or a
    /// close request ends it. Returns why it ended.
    private func connect(_ wsConfiguration: WebSocketClientConfiguration, on loop: any EventLoop) async throws -> String {
        let reason = Mutex("closed by Slack")
        try await WebSocketClient.connect(url: url, configuration: wsConfiguration, tlsConfiguration: configuration.tls,
                                          eventLoopGroup: loop, logger: logger) { inbound, outbound, _ in
            let why = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: self.configuration.maxMessageSize) {
                        self.lastInbound.withLock { $0 = .now }
                        if case .text(let text) = message { try await self.process(text, outbound: outbound) }
                    }
                    return "closed by Slack"
                }
                group.addTask {
                    let why = await self.waitForCloseOrIdle()
                    try? await outbound.close(.normalClosure, reason: nil)
                    return why
                }
                let first = try await group.next() ?? "closed"
                group.cancelAll()
                return first
            }
            reason.withLock { $0 = why }
        }
        return reason.withLock { $0 }
    }

    /// Returns when someone asked to close, when `hello` did not come in time, or when no frame
    /// arrived within the idle timeout.
    private func waitForCloseOrIdle() async -> String {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                try? await Task.sleep(for: self.configuration.helloTimeout)
                return self.helloSeen.withLock { $0 } || Task.isCancelled ? nil : "no hello within \(self.configuration.helloTimeout)"
            }
            group.addTask {
                for await reason in self.closeRequests { return reason }
                return nil
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    let idle = ContinuousClock.now - self.lastInbound.withLock { $0 }
                    if idle > self.configuration.idleTimeout { return "no frame for \(idle); socket presumed dead" }
                }
                return nil
            }
            while let result = await group.next() {
                if let reason = result {
                    group.cancelAll()
                    return reason
                }
            }
            return "cancelled"
        }
    }

    private func process(_ text: String, outbound: WebSocketOutboundWriter) async throws {
        let received = ContinuousClock.now
        guard let frame = try? JSONValue.parse(text) else {
            logger.warning("dropped a frame that is not JSON", metadata: ["bytes": "\(text.utf8.count)"])
            return
        }
        switch frame["type"]?.string {
        case "hello":
            helloSeen.withLock { $0 = true }
            report(id, .hello(connections: frame["num_connections"]?.int))
        case "disconnect":
            report(id, .disconnect(reason: frame["reason"]?.string ?? "unknown"))
        default:
            guard let envelope = SocketModeEnvelope(frame) else {
                logger.warning("dropped a frame without envelope_id", metadata: ["frame.type": "\(frame["type"]?.string ?? "none")"])
                return
            }
            // Most acks carry no payload: written directly, without an encoder per envelope.
            var ack = #"{"envelope_id":"# + JSONValue.quoted(envelope.envelopeID) + "}"
            if envelope.acceptsResponsePayload, let payload = acknowledgement(envelope) {
                // Slack silently drops acks of 20 KB or more (slack-go#1196): keep them small.
                if payload.encoded().count < 15_000 {
                    ack = JSONValue.object(["envelope_id": .string(envelope.envelopeID), "payload": payload]).text
                } else {
                    logger.error("ack payload too large; acked without it", metadata: ["envelope.id": "\(envelope.envelopeID)"])
                }
            }
            try await outbound.write(.text(ack))
            stats.recordAck(latency: ContinuousClock.now - received)
            dispatch(envelope)
        }
    }
}
