import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import SlackWebAPI
import Synchronization

/// One WebSocket to Slack. Reads frames, acks envelopes *before* handing them off, reports
/// `hello`, `disconnect` and its own end as events, and closes itself when asked or when no frame
/// arrived within the idle timeout. Each connection has an ID, so its late events are told apart.
/// The socket is NIO's WebSocket client pipeline (swift-nio's upgrader and frame aggregator)
/// ending in ``SocketModeFrameHandler``, which runs ``process(_:reply:)`` on the socket's loop.
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
    /// Why the socket ended, first reason wins: a close request, a watchdog, Slack, an error.
    private let endReason = Mutex<String?>(nil)
    private let socket = Mutex(Socket())
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
    }

    /// The socket as far as it got: its channel once connected, its handler once upgraded.
    private struct Socket: Sendable {
        var channel: (any Channel)?
        var handler: NIOLoopBound<SocketModeFrameHandler>?
        var pendingClose: String?
    }

    /// Asks the connection to close (make-before-break, shutdown, dead socket). A socket not yet
    /// upgraded is dropped; a request made before it exists is applied once it is upgraded.
    func close(_ reason: String) {
        endReason.withLock { $0 = $0 ?? reason }
        let (handler, channel) = socket.withLock { socket in
            if socket.handler == nil { socket.pendingClose = socket.pendingClose ?? reason }
            return (socket.handler, socket.channel)
        }
        if let handler {
            handler.eventLoop.execute { handler.value.close(reason) }
        } else {
            channel?.close(promise: nil)
        }
    }

    /// Connects and runs until the socket ends; always ends with a `.closed` event.
    func run() async {
        let final: String
        do {
            final = try await connect()
        } catch {
            final = "socket error: \(type(of: error))"
        }
        logger.info("Socket Mode connection ended", metadata: ["reason": "\(final)"])
        report(id, .closed(reason: final))
    }

    /// The socket's life: TCP (and TLS for `wss`), the HTTP upgrade, then frames read and acked on
    /// one event loop by ``SocketModeFrameHandler`` until Slack, a watchdog or a close request
    /// ends it. Returns why it ended. The upgrade must finish within the hello timeout.
    private func connect() async throws -> String {
        let target = try SocketModeURL(url)
        let sslContext = try target.secure ? NIOSSLContext(configuration: configuration.tls ?? .makeClientConfiguration()) : nil
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let handlerTiming = SocketModeFrameHandler.Timing(
            ping: TimeAmount(configuration.pingInterval), idle: TimeAmount(configuration.idleTimeout),
            hello: TimeAmount(configuration.helloTimeout), closeGrace: .seconds(1))
        let upgraded: EventLoopFuture<Bool> = try await ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.helloTimeout))
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    self.socket.withLock { $0.channel = channel }
                    if let sslContext {
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: target.serverName)
                        try channel.pipeline.syncOperations.addHandler(tls, position: .first)
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: self.configuration.maxMessageSize) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let handler = SocketModeFrameHandler(
                                timing: handlerTiming, helloSeen: { self.helloSeen.withLock { $0 } },
                                recordEnd: { reason in self.endReason.withLock { $0 = $0 ?? reason } },
                                onText: { text, reply in self.process(text, reply: reply) })
                            try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 4_096,
                                maxAccumulatedFrameSize: self.configuration.maxMessageSize))
                            try channel.pipeline.syncOperations.addHandler(handler)
                            let pending = self.socket.withLock { socket in
                                socket.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                                return socket.pendingClose
                            }
                            if let pending { handler.close(pending) }
                            return true
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: target.hostHeader)
                    let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: .init(
                        upgradeRequestHead: request, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(false) }))
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        guard let channel = socket.withLock({ $0.channel }) else { return "closed before the upgrade" }
        let upgradeTimeout = loop.scheduleTask(in: TimeAmount(configuration.helloTimeout)) {
            self.endReason.withLock { $0 = $0 ?? "no WebSocket upgrade within \(self.configuration.helloTimeout)" }
            channel.close(promise: nil)
        }
        // The upgrade's answer, or `false` if the socket closed first (timeout, close request).
        let settled = loop.makePromise(of: Bool.self)
        upgraded.cascade(to: settled)
        channel.closeFuture.whenComplete { _ in settled.succeed(false) }
        let accepted: Bool
        do {
            accepted = try await settled.futureResult.get()
        } catch {
            endReason.withLock { $0 = $0 ?? "WebSocket upgrade failed: \(type(of: error))" }
            accepted = false
        }
        upgradeTimeout.cancel()
        if !accepted { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        return endReason.withLock { $0 } ?? (accepted ? "closed by Slack" : "Slack refused the WebSocket upgrade")
    }

    /// Reads one text frame on the socket's loop: `hello` and `disconnect` become events, an
    /// envelope is acked through `reply` *before* it is handed off.
    private func process(_ text: String, reply: (String) -> Void) {
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
            reply(ack)
            stats.recordAck(latency: ContinuousClock.now - received)
            dispatch(envelope)
        }
    }
}
