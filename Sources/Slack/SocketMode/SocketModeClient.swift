import Foundation
import Logging
import ServiceLifecycle
import SlackWebAPI

/// Slack Socket Mode as a service: keeps `connections` sockets open, each in its own slot that
/// fetches a fresh URL (`apps.connections.open`) for every connection, waits for `hello`, and on
/// `disconnect` `warning`/`refresh_requested` opens the replacement *before* closing the old socket,
/// so no envelope falls between. Dropped or dead sockets reconnect with capped backoff and jitter;
/// `link_disabled` and a refused app token stop it with a clear error. Envelopes are acked on the
/// socket and handled in their own tasks (those the handler wants: ``SocketModeHandler/wantsToHandle(_:)``);
/// redeliveries are recognised and not handled twice.
public final class SocketModeClient: Service {
    let api: SlackWebClient
    let configuration: SocketModeConfiguration
    let handler: any SocketModeHandler
    let logger: Logger
    public let stats = SocketModeStats()
    let deduplicator = EnvelopeDeduplicator()
    let connectionIDs = ConnectionCounter()
    let envelopes: AsyncStream<SocketModeEnvelope>
    let envelopeSink: AsyncStream<SocketModeEnvelope>.Continuation

    /// `api` must carry the app-level token.
    public init(api: SlackWebClient, configuration: SocketModeConfiguration, handler: any SocketModeHandler, logger: Logger) {
        self.api = api
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        (envelopes, envelopeSink) = AsyncStream.makeStream(of: SocketModeEnvelope.self)
    }

    public func run() async throws {
        do {
            try await runConnections()
        } catch {
            // ServiceGroup reports only "service failed"; say why here.
            logger.critical("Socket Mode stopped", metadata: ["error": "\(error)", "error.type": "\(type(of: error))"])
            throw error
        }
    }

    func runConnections() async throws {
        let envelopes = self.envelopes
        let sink = envelopeSink
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    // At most `maxConcurrentHandlers` envelopes are handled at once; the rest wait in
                    // the stream. Acks are unaffected: they were sent before an envelope got here.
                    await withTaskGroup(of: Void.self) { handlers in
                        var running = 0
                        for await envelope in envelopes {
                            guard self.deduplicator.isNew(envelope) else {
                                self.stats.recordDuplicate()
                                self.logger.info("ignored a redelivered envelope", metadata: [
                                    "envelope.id": "\(envelope.envelopeID)", "retry_attempt": "\(envelope.retryAttempt)"])
                                continue
                            }
                            if running >= self.configuration.maxConcurrentHandlers {
                                await handlers.next()
                                running -= 1
                            }
                            running += 1
                            self.stats.recordHandOff()
                            handlers.addTask { await self.handler.handle(envelope) }
                        }
                    }
                }
                // Graceful shutdown cancels the slots at once, whatever they are waiting for (a
                // frame, a reconnect backoff, an `apps.connections.open` that hangs): sockets close
                // and no new envelope arrives. Envelopes already acked are still handled above.
                try await cancelWhenGracefulShutdown {
                    try await withThrowingDiscardingTaskGroup { slots in
                        for slot in 0..<self.configuration.connections {
                            slots.addTask { try await self.runSlot(slot) }
                        }
                    }
                }
                sink.finish()
            }
        } onGracefulShutdown: {
            sink.finish()
        }
    }

    /// One connection slot, for as long as the service runs. Event-driven: every connection
    /// reports into the slot's stream tagged with its ID, so events from a replaced socket are
    /// recognised. `current` is the live connection; `candidate` is one waiting for `hello` (the
    /// first one, or the replacement during make-before-break).
    func runSlot(_ slot: Int) async throws {
        var backoff = Backoff(base: configuration.backoffBase, cap: configuration.backoffCap)
        let (events, report) = AsyncStream.makeStream(of: (Int, SocketModeConnection.Event).self)
        var iterator = events.makeAsyncIterator()
        var current: SocketModeConnection?
        var candidate: SocketModeConnection?
        // The stream ends when its last continuation goes away; keep ours until the slot ends, so
        // an optimised build cannot end it between connections.
        defer { withExtendedLifetime(events) { report.finish() } }
        try await withThrowingDiscardingTaskGroup { group in
            defer {
                current?.close("shutting down")
                candidate?.close("shutting down")
            }
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if current == nil && candidate == nil {
                    do {
                        candidate = try await connect(slot: slot, report: report, group: &group)
                    } catch let error as SocketModeError {
                        throw error
                    } catch {
                        let wait = backoff.next()
                        logger.warning("Socket Mode connect failed; retrying", metadata: [
                            "slot": "\(slot)", "error": "\(error)", "retry_in_ms": "\(wait.milliseconds)"])
                        try? await Task.sleep(for: wait)
                        continue
                    }
                }
                guard let (id, event) = await iterator.next() else {
                    // The stream ends early only when this task is cancelled (shutdown).
                    if Task.isCancelled {
                        logger.info("Socket Mode slot stopping", metadata: ["slot": "\(slot)"])
                    } else {
                        logger.error("Socket Mode slot's event stream ended unexpectedly", metadata: ["slot": "\(slot)"])
                    }
                    return
                }
                switch event {
                case .hello(let count):
                    guard id == candidate?.id, let ready = candidate else { continue }
                    if let old = current { old.close("replaced by connection \(id)") }
                    current = ready
                    candidate = nil
                    backoff.reset()
                    stats.connectionUp()
                    logger.info("Socket Mode connected", metadata: ["slot": "\(slot)", "slack.connection": "\(id)", "num_connections": "\(count ?? 0)"])
                    if let count, count > configuration.connections * 2 {
                        logger.warning("Slack reports more connections than this bot opens; ghost connections?", metadata: ["num_connections": "\(count)"])
                    }
                case .disconnect(let reason) where id == current?.id && (reason == "warning" || reason == "refresh_requested"):
                    guard candidate == nil else { continue }
                    logger.info("Slack asked for a new connection; opening it before closing this one", metadata: ["reason": "\(reason)", "slot": "\(slot)"])
                    do {
                        candidate = try await connect(slot: slot, report: report, group: &group)
                    } catch let error as SocketModeError {
                        throw error
                    } catch {
                        logger.warning("could not open the replacement yet; keeping the old connection", metadata: ["error": "\(error)"])
                    }
                case .disconnect(let reason) where reason == "link_disabled":
                    logger.critical("Slack disabled Socket Mode for this app; stopping")
                    throw SocketModeError.linkDisabled
                case .disconnect(let reason):
                    logger.warning("Slack disconnect", metadata: ["reason": "\(reason)", "slot": "\(slot)", "slack.connection": "\(id)"])
                    if id == current?.id { current?.close("disconnect: \(reason)") }
                case .closed(let reason):
                    if id == current?.id {
                        current = nil
                        stats.connectionDown()
                    } else if id == candidate?.id {
                        candidate = nil
                    } else {
                        stats.connectionDown()
                        continue
                    }
                    stats.recordReconnect()
                    guard current == nil && candidate == nil else { continue }
                    let wait = backoff.next()
                    logger.warning("Socket Mode connection lost; reconnecting", metadata: [
                        "slot": "\(slot)", "reason": "\(reason)", "retry_in_ms": "\(wait.milliseconds)"])
                    try? await Task.sleep(for: wait)
                }
            }
        }
    }

    /// Opens a fresh URL and starts a connection; its `hello` arrives as an event.
    func connect(slot: Int, report: AsyncStream<(Int, SocketModeConnection.Event)>.Continuation,
                 group: inout ThrowingDiscardingTaskGroup<any Error>) async throws -> SocketModeConnection {
        let url: String
        do {
            url = try await api.openConnection()
        } catch let error as SlackAPIError where error.isAuthFailure {
            throw SocketModeError.authFailed(error.code ?? "invalid_auth")
        }
        let connection = SocketModeConnection(
            id: await connectionIDs.next(), url: url, configuration: configuration, stats: stats, logger: logger,
            report: { id, event in report.yield((id, event)) },
            acknowledgement: { [handler] in handler.acknowledgement(for: $0) },
            dispatch: { [envelopeSink, handler] envelope in
                if handler.wantsToHandle(envelope) { envelopeSink.yield(envelope) }
            })
        group.addTask { await connection.run() }
        return connection
    }

}

/// Hands out connection IDs.
actor ConnectionCounter {
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
