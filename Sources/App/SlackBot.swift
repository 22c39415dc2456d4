import AegisChat
import AegisCore
import AegisLocalSandbox
import AegisSlack
import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SlackSocketMode
import SlackWebAPI
import UnixSignals

/// `aegis-rotate bot`: the engine, the timer scheduler and the Socket Mode client in one service
/// group, shut down gracefully on SIGTERM/SIGINT. Built by ``build(configuration:logger:socket:)``
/// so tests run exactly what production runs, against the in-repo Slack fake.
public struct SlackBot: Sendable {
    public let context: AppContext
    public let socket: SocketModeClient
    public let web: SlackWebClient
    let scheduler: TimerScheduler
    let presenter: ChatPresenter
    /// The bot's channel messages, paced and in order (``SlackOutbox``).
    public let outbox: SlackOutbox
    let logger: Logger
    let operations: OperationsEndpoints.Address?
    let registry: PrometheusCollectorRegistry
    /// Where `/healthz`, `/readyz` and `/metrics` listen once the bot runs (nil with `AEGIS_OPS_ADDRESS=off`).
    public let operationsPort = BoundPort()

    /// Reads `SLACK_APP_TOKEN`, `SLACK_BOT_TOKEN` (or their `_FILE` variants), `SLACK_API_URL` and
    /// `AEGIS_OPS_ADDRESS`. `/metrics` shows `registry`, which should be the one the process's
    /// metrics system was bootstrapped with (``bootstrapMetrics()``).
    public static func build(configuration: AegisConfiguration, logger: Logger,
                             socket socketConfiguration: SocketModeConfiguration? = nil,
                             registry: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry) throws -> SlackBot {
        let operations = try OperationsEndpoints.address(configuration.string("AEGIS_OPS_ADDRESS"))
        guard let appToken = configuration.secret("SLACK_APP_TOKEN"), let botToken = configuration.secret("SLACK_BOT_TOKEN") else {
            throw AegisConfiguration.Problem(key: "SLACK_APP_TOKEN", message: "the bot needs SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…), or their _FILE variants")
        }
        guard appToken.revealSecretString().hasPrefix("xapp-") else {
            throw AegisConfiguration.Problem(key: "SLACK_APP_TOKEN", message: "is not an app-level token (it must start with xapp-)")
        }
        let web = SlackWebClient(http: .shared, baseURL: configuration.string("SLACK_API_URL") ?? "https://slack.com/api/",
                                 token: botToken, logger: logger)
        let channels = SlackChannelDirectory(api: web)
        // Every channel message goes through the outbox, at Slack's pace; the outbox holds a
        // channel's method on a 429 itself, so its client reports 429s instead of waiting them out.
        let pace = try configuration.duration("AEGIS_SLACK_PACE", default: SlackPacing.slack.postInterval)
        let outbox = SlackOutbox(inner: SlackTransport(api: web.reportingRateLimits(), channels: channels),
                                 pacing: .scaled(postInterval: pace), flushLimit: BoundedShutdown.outboxFlushLimit, logger: logger)
        let transport = outbox
        let presenter = ChatPresenter(transport: transport, approverChannel: configuration.approverChannel,
                                      escalationChannel: configuration.escalationChannel, logger: logger)
        let approvers = SlackApproverDirectory(api: web, channels: channels, channel: configuration.approverChannel)
        let context = try AppContext.build(configuration: configuration, defaultEnvironment: .production, events: presenter,
                                           approvers: approvers, logger: logger)
        let router = SlackEnvelopeRouter(handler: CommandHandler(engine: context.engine), engine: context.engine,
                                         transport: transport, api: web, logger: logger)
        let connections = Int(configuration.string("AEGIS_SOCKET_CONNECTIONS") ?? "1") ?? 1
        let socket = SocketModeClient(api: web.with(token: appToken),
                                      configuration: socketConfiguration ?? SocketModeConfiguration(connections: connections),
                                      handler: router, logger: logger)
        let scheduler = TimerScheduler(state: context.state, engine: context.engine, pollInterval: context.settings.timerPollInterval,
                                       shutdownGrace: context.settings.shutdownGrace, logger: logger)
        return SlackBot(context: context, socket: socket, web: web, scheduler: scheduler, presenter: presenter, outbox: outbox,
                        logger: logger, operations: operations, registry: registry)
    }

    /// Points the process's swift-metrics at Prometheus (once per process; later calls do nothing).
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        bootstrapped
    }

    private static let bootstrapped: PrometheusCollectorRegistry = {
        let registry = PrometheusMetricsFactory.defaultRegistry
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    func operationsServices() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let operations else { return [] }
        let bot = self
        return [.init(service: OperationsEndpoints.application(address: operations, registry: registry,
                                                               readiness: { await bot.readinessProblems() },
                                                               boundPort: operationsPort, logger: logger))]
    }

    /// Not ready while no Slack socket is connected or the state store does not answer.
    func readinessProblems() async -> [String] {
        var problems: [String] = []
        if socket.stats.connected == 0 { problems.append("no Slack socket is connected") }
        do { try await context.state.ping() } catch { problems.append("the state store does not answer") }
        return problems
    }

    /// Runs until SIGTERM/SIGINT (or the task is cancelled) and returns within ``BoundedShutdown``'s
    /// limits: the sockets close at once, a running step gets the shutdown grace and is then left
    /// for the next start, the adapters' clients get a second to close.
    public func run() async throws {
        do {
            try await runServices()
        } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    func runServices() async throws {
        await presenter.connect(context.engine)
        let state = context.state
        await outbox.setLossHandler { loss in
            var details = ["channel": loss.channel, "reason": loss.reason.rawValue, "posts": "\(loss.posts)", "updates": "\(loss.updates)"]
            details["problem"] = loss.problem
            _ = try? await state.appendAudit(AuditEntry(actor: "aegis-rotate", action: .chatUndelivered, details: details))
        }
        try await context.state.releaseOrphanedClaims()
        _ = try await context.seedSandbox()
        let identity = try await web.authTest()
        logger.notice("aegis-rotate bot starting", metadata: ["slack.bot_user": "\(identity.userID)", "aegis.env": "\(context.environment.rawValue)"])
        // Shut down in reverse: operations endpoints, then the sockets (no new envelopes), then the
        // engine and the timers together, then the outbox flushes what they said.
        let group = ServiceGroup(configuration: BoundedShutdown.configuration(
            services: [.init(service: outbox), .init(service: ConcurrentServices([context.engine, scheduler])), .init(service: socket)]
                + operationsServices(),
            logger: logger))
        try await group.run()
    }
}
