import AegisChat
import AegisCore
import Logging
import Metrics
import ServiceLifecycle
import SlackWebAPI
import Synchronization

/// Everything the bot says in Slack channels goes through here: one lane per channel, drained
/// behind the rotations at Slack's pace (``SlackPacing``), so a rotation never waits on Slack.
///
/// - A post returns a provisional reference at once; later posts in its thread and updates of it
///   name that reference, and the lane swaps in Slack's `ts` once the post went out.
/// - The request message's checklist is updated at most once per ``SlackPacing/messageUpdateInterval``
///   with its latest state: states superseded while it waited are never sent.
/// - Thread lines are posted in order; lines waiting together for one thread go as one message.
/// - A 429 holds only that channel's method for `Retry-After`; a transient failure backs off
///   and retries, for as long as the bot runs. What Slack refuses for good (`channel_not_found`,
///   `invalid_blocks`) and what is still queued when shutdown's flush time ends is reported to
///   ``setLossHandler(_:)`` (the audit), never silently dropped.
public actor SlackOutbox: ChatTransport, Service {
    struct Lane {
        var posts: [OutboxPost] = []
        /// Pending checklist updates by message reference, oldest first; a newer one replaces the older.
        var updates: [(ref: String, message: ChatMessage)] = []
        var postBucket: TokenBucket
        var heldUntil: [OutboxMethod: ContinuousClock.Instant] = [:]
        var lastUpdate: [String: ContinuousClock.Instant] = [:]
        var failures = 0
        let signal = WakeSignal()

        var isEmpty: Bool { posts.isEmpty && updates.isEmpty }
    }

    enum Next {
        case send(OutboxAction)
        case wait(ContinuousClock.Instant?, WakeSignal)
        case finish
    }

    let inner: any ChatTransport
    let pacing: SlackPacing
    let flushLimit: Duration
    let logger: Logger
    /// Every change is reported as `aegis_slack_outbox_pending` (posts and updates waiting, all
    /// channels): a number that keeps rising means Slack is holding the bot back.
    var lanes: [String: Lane] = [:] {
        didSet { pendingGauge.record(queued) }
    }
    let pendingGauge = Gauge(label: "aegis_slack_outbox_pending")
    var updateBucket: TokenBucket
    /// Provisional reference → Slack's `ts`, once posted.
    var delivered: [String: String] = [:]
    /// Provisional references whose post Slack refused for good.
    var refused: Set<String> = []
    var nextID = 0
    var lossHandler: (@Sendable (OutboxLoss) async -> Void)?
    let newLanes: AsyncStream<String>
    let newLanesContinuation: AsyncStream<String>.Continuation
    /// Set on graceful shutdown: lanes send what they hold until then, and no longer.
    nonisolated let drainDeadline = Mutex<ContinuousClock.Instant?>(nil)
    nonisolated let signals = Mutex<[WakeSignal]>([])

    /// - Parameters:
    ///   - inner: the transport that calls Slack; its Web API client must report 429s rather than
    ///     wait them out (``SlackWebClient/reportingRateLimits()``), so a limit holds one lane only.
    ///   - flushLimit: how long shutdown waits for queued messages.
    public init(inner: any ChatTransport, pacing: SlackPacing = .slack, flushLimit: Duration = .seconds(2), logger: Logger) {
        self.inner = inner
        self.pacing = pacing
        self.flushLimit = flushLimit
        self.logger = logger
        self.updateBucket = TokenBucket(capacity: pacing.updateBurst, interval: pacing.updateInterval, now: .now)
        (newLanes, newLanesContinuation) = AsyncStream.makeStream(of: String.self)
    }

    /// Where losses are reported (set once the state store exists).
    public func setLossHandler(_ handler: @escaping @Sendable (OutboxLoss) async -> Void) { lossHandler = handler }

    /// Messages not yet sent, over every channel (for `/metrics` and tests).
    public var queued: Int { lanes.values.reduce(0) { $0 + $1.posts.count + $1.updates.count } }

    // MARK: - ChatTransport

    @discardableResult
    public func post(_ message: ChatMessage, channel: String, thread: String?) async throws -> String {
        enqueue(message, channel: channel, thread: thread, delivered: nil)
    }

    @discardableResult
    public func post(_ message: ChatMessage, channel: String, thread: String?,
                     delivered: @escaping @Sendable (String) async -> Void) async throws -> String {
        enqueue(message, channel: channel, thread: thread, delivered: delivered)
    }

    public func update(_ message: ChatMessage, channel: String, messageRef: String) async throws {
        var lane = takeLane(channel)
        if let index = lane.updates.firstIndex(where: { $0.ref == messageRef }) {
            lane.updates[index].message = message
        } else {
            lane.updates.append((messageRef, message))
        }
        putLane(channel, lane)
    }

    /// Ephemeral answers go at once: they are replies to one person's command, not channel traffic.
    public func postEphemeral(_ message: ChatMessage, channel: String, user: String) async throws {
        try await inner.postEphemeral(message, channel: channel, user: user)
    }

    func enqueue(_ message: ChatMessage, channel: String, thread: String?, delivered: (@Sendable (String) async -> Void)?) -> String {
        nextID += 1
        let id = "outbox:\(nextID)"
        var lane = takeLane(channel)
        lane.posts.append(OutboxPost(ids: [id], message: message, channel: channel, thread: thread, delivered: delivered.map { [$0] } ?? []))
        putLane(channel, lane)
        return id
    }

    func takeLane(_ channel: String) -> Lane {
        if let lane = lanes[channel] { return lane }
        let lane = Lane(postBucket: TokenBucket(capacity: pacing.postBurst, interval: pacing.postInterval, now: .now))
        signals.withLock { $0.append(lane.signal) }
        newLanesContinuation.yield(channel)
        return lane
    }

    func putLane(_ channel: String, _ lane: Lane) {
        lanes[channel] = lane
        lane.signal.signal()
    }

    // MARK: - Service

    /// Drains every lane until graceful shutdown, then for at most `flushLimit`, then reports what
    /// is left.
    public func run() async {
        let stream = newLanes
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await channel in stream {
                    group.addTask { await self.drain(channel) }
                }
            }
        } onGracefulShutdown: {
            self.beginFlush()
        }
        await reportLeftovers()
    }

    nonisolated func beginFlush() {
        drainDeadline.withLock { $0 = $0 ?? .now + flushLimit }
        newLanesContinuation.finish()
        for signal in signals.withLock({ $0 }) { signal.signal() }
    }

    nonisolated func drain(_ channel: String) async {
        while true {
            switch await next(channel) {
            case .finish:
                return
            case .wait(let until, let signal):
                let deadline = drainDeadline.withLock { $0 }
                await signal.wait(until: [until, deadline].compactMap { $0 }.min())
            case .send(let action):
                let outcome: Result<String, any Error>
                do {
                    outcome = .success(try await send(action))
                } catch {
                    outcome = .failure(error)
                }
                for (hook, ts) in await finish(action, channel: channel, outcome: outcome) { await hook(ts) }
            }
        }
    }

    nonisolated func send(_ action: OutboxAction) async throws -> String {
        switch action {
        case .post(let post):
            return try await inner.post(post.message, channel: post.channel, thread: post.thread)
        case .update(let channel, _, let realRef, let message):
            try await inner.update(message, channel: channel, messageRef: realRef)
            return realRef
        }
    }

    /// The lane's next action, or how long to wait for one.
    func next(_ channel: String) -> Next {
        guard var lane = lanes[channel] else { return .finish }
        let now = ContinuousClock.now
        let deadline = drainDeadline.withLock { $0 }
        if Task.isCancelled || (deadline != nil && (lane.isEmpty || now >= deadline!)) { return .finish }
        var earliest: ContinuousClock.Instant?
        func consider(_ instant: ContinuousClock.Instant) { earliest = min(earliest ?? instant, instant) }

        if !lane.posts.isEmpty {
            let readyAt = max(lane.postBucket.availableAt(now), lane.heldUntil[.postMessage] ?? now)
            if readyAt <= now {
                var post = lane.posts.removeFirst()
                while post.isPlainLine, post.ids.count < pacing.linesPerPost, let following = lane.posts.first,
                      following.isPlainLine, following.thread == post.thread,
                      post.message.text.count + following.message.text.count < 2_900 {
                    post.append(lane.posts.removeFirst())
                }
                let thread = post.thread.flatMap(realReference)
                post = OutboxPost(ids: post.ids, message: post.message, channel: post.channel, thread: thread, delivered: post.delivered)
                lane.postBucket.take(now)
                lanes[channel] = lane
                return .send(.post(post))
            }
            consider(readyAt)
        }
        lane.updates.removeAll { refused.contains($0.ref) }
        for (index, update) in lane.updates.enumerated() {
            guard let realRef = realReference(update.ref) else { continue }
            let readyAt = max(updateBucket.availableAt(now), lane.heldUntil[.update] ?? now,
                              (lane.lastUpdate[update.ref] ?? now - pacing.messageUpdateInterval) + pacing.messageUpdateInterval)
            if readyAt <= now {
                lane.updates.remove(at: index)
                lane.lastUpdate[update.ref] = now
                updateBucket.take(now)
                lanes[channel] = lane
                return .send(.update(channel: channel, ref: update.ref, realRef: realRef, message: update.message))
            }
            consider(readyAt)
        }
        lanes[channel] = lane
        return .wait(earliest, lane.signal)
    }

    /// Slack's reference for `ref`: itself unless provisional; nil while its post has not gone out
    /// or was refused.
    func realReference(_ ref: String) -> String? {
        guard ref.hasPrefix("outbox:") else { return ref }
        return delivered[ref]
    }

    /// Records the outcome; returns the delivery hooks to call (outside the actor).
    func finish(_ action: OutboxAction, channel: String, outcome: Result<String, any Error>) async -> [(@Sendable (String) async -> Void, String)] {
        guard var lane = lanes[channel] else { return [] }
        let now = ContinuousClock.now
        switch outcome {
        case .success(let ts):
            lane.failures = 0
            lanes[channel] = lane
            guard case .post(let post) = action else { return [] }
            for id in post.ids { delivered[id] = ts }
            return post.delivered.map { ($0, ts) }
        case .failure(let error):
            let slackError = error as? SlackAPIError
            if let slackError, slackError.isTransient {
                lane.failures += 1
                let hold: Duration = slackError.kind == .rateLimited
                    ? .milliseconds(Int64((slackError.retryAfter ?? 1) * 1_000))
                    : .milliseconds(min(30_000, 250 << min(lane.failures, 7)))
                lane.heldUntil[action.method] = now + hold
                logger.warning("Slack did not take a message; it is kept and sent again", metadata: [
                    "slack.method": "\(action.method.rawValue)", "slack.channel": "\(channel)", "retry_in": "\(hold)",
                    "error": "\(slackError)"])
                switch action {
                case .post(let post):
                    lane.posts.insert(post, at: 0)
                case .update(_, let ref, _, let message):
                    if !lane.updates.contains(where: { $0.ref == ref }) { lane.updates.insert((ref, message), at: 0) }
                    lane.lastUpdate[ref] = nil
                }
                lanes[channel] = lane
                return []
            }
            lanes[channel] = lane
            let problem = slackError.map(\.description) ?? RotationEngine.safeDescription(error)
            logger.error("Slack refused a message for good", metadata: ["slack.channel": "\(channel)", "error": "\(problem)"])
            var loss = OutboxLoss(reason: .refused, channel: channel, posts: 0, updates: 0, problem: problem)
            switch action {
            case .post(let post):
                refused.formUnion(post.ids)
                loss.posts = 1
            case .update:
                loss.updates = 1
            }
            await lossHandler?(loss)
            return []
        }
    }

    func reportLeftovers() async {
        for (channel, lane) in lanes where !lane.isEmpty {
            let loss = OutboxLoss(reason: .shutdown, channel: channel, posts: lane.posts.count, updates: lane.updates.count, problem: nil)
            logger.error("messages not sent before shutdown", metadata: [
                "slack.channel": "\(channel)", "posts": "\(loss.posts)", "updates": "\(loss.updates)"])
            await lossHandler?(loss)
        }
    }
}
