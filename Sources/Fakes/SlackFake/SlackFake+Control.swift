import Foundation
import NIOCore
import SlackWebAPI

/// What tests and the benchmark do with the fake: set up the workspace, play users (slash
/// commands, clicks, modal submissions), inject faults, and read what the bot did.
extension SlackFake {
    // MARK: Workspace

    public func addUser(_ id: String, name: String) async { await state.setUser(id, name) }

    public func addChannel(_ id: String, name: String, members: [String], isPrivate: Bool = false) async {
        await state.addChannel(id, name, members, isPrivate)
    }

    /// Page size for cursor-paginated methods (small values exercise pagination).
    public func setPageSize(_ size: Int) async { await state.setPageSize(size) }

    // MARK: Users acting

    /// A user types `/rotate <text>`; returns the envelope ID.
    @discardableResult
    public func slashCommand(user: String, channel: String, text: String, toEverySocket: Bool = false) async throws -> String {
        let trigger = await state.newTrigger()
        return try await sendEnvelope(type: "slash_commands", toEverySocket: toEverySocket, payload: [
            "token": "legacy-verification-token", "team_id": "T0001", "team_domain": "aegis", "channel_id": .string(channel),
            "channel_name": .string(await state.channelName(channel)), "user_id": .string(user), "user_name": .string(await state.userName(user)),
            "command": "/rotate", "text": .string(text), "api_app_id": "A0AEGIS", "is_enterprise_install": "false",
            "response_url": .string("http://127.0.0.1:\(port)/response/\(trigger)"), "trigger_id": .string(trigger),
        ], acceptsResponsePayload: true)
    }

    /// A user clicks a button of a posted message; returns the envelope ID. The payload carries the
    /// whole message, as Slack's does (tens of kilobytes for a long checklist).
    @discardableResult
    public func click(user: String, channel: String, message: FakeMessage, actionID: String, value: String,
                      toEverySocket: Bool = false) async throws -> String {
        let trigger = await state.newTrigger()
        return try await sendEnvelope(type: "interactive", toEverySocket: toEverySocket, payload: [
            "type": "block_actions", "user": ["id": .string(user), "username": .string(await state.userName(user)), "team_id": "T0001"],
            "api_app_id": "A0AEGIS", "token": "legacy-verification-token", "trigger_id": .string(trigger),
            "team": ["id": "T0001", "domain": "aegis"], "channel": ["id": .string(channel), "name": .string(await state.channelName(channel))],
            "container": ["type": "message", "message_ts": .string(message.ts), "channel_id": .string(channel), "is_ephemeral": false],
            "message": ["type": "message", "ts": .string(message.ts), "text": .string(message.text), "blocks": message.blocks ?? .array([])],
            "response_url": .string("http://127.0.0.1:\(port)/response/\(trigger)"),
            "actions": [["type": "button", "action_id": .string(actionID), "block_id": "actions", "value": .string(value),
                         "text": ["type": "plain_text", "text": .string(actionID)], "action_ts": "1700000000.000001"]],
        ], acceptsResponsePayload: false)
    }

    /// A user submits a modal the bot opened; `values` is `[block_id: [action_id: value]]`.
    @discardableResult
    public func submitView(user: String, view: JSONValue, values: [String: [String: String]]) async throws -> String {
        var state: [String: JSONValue] = [:]
        for (block, actions) in values {
            state[block] = .object(actions.mapValues { ["type": "plain_text_input", "value": .string($0)] })
        }
        return try await sendEnvelope(type: "interactive", payload: [
            "type": "view_submission", "team": ["id": "T0001"], "user": ["id": .string(user)], "api_app_id": "A0AEGIS",
            "trigger_id": .string(await self.state.newTrigger()),
            "view": ["id": "V1", "type": "modal", "callback_id": view["callback_id"] ?? "", "private_metadata": view["private_metadata"] ?? "",
                     "state": ["values": .object(state)]],
        ], acceptsResponsePayload: true)
    }

    /// Sends an envelope on one open socket; returns its ID. Like Slack, it holds an envelope
    /// while the app has no socket (between a dropped connection and its replacement), here for
    /// up to `wait`, then throws. `toEverySocket` sends the same envelope (one ID) on every open
    /// socket at once: what an app with several connections sees when Slack redelivers an
    /// envelope to another connection while the first is still handling it.
    @discardableResult
    public func sendEnvelope(type: String, toEverySocket: Bool = false, payload: JSONValue, acceptsResponsePayload: Bool,
                             wait: Duration = .seconds(10)) async throws -> String {
        let id = UUID().uuidString.lowercased()
        let frame: [String: JSONValue] = ["envelope_id": .string(id), "type": .string(type), "payload": payload,
                                          "accepts_response_payload": .bool(acceptsResponsePayload)]
        await state.track(frame, id: id)
        if toEverySocket {
            guard await state.broadcastToSockets(JSONValue.object(frame).text) > 0 else { throw SlackFakeError.noSocket }
            return id
        }
        let deadline = ContinuousClock.now + wait
        while !(await state.sendOnOneSocket(JSONValue.object(frame).text)) {
            guard ContinuousClock.now < deadline else { throw SlackFakeError.noSocket }
            try await Task.sleep(for: .milliseconds(20))
        }
        return id
    }

    /// Sends raw text on one socket (malformed frames).
    public func sendRaw(_ text: String) async throws {
        guard await state.sendOnOneSocket(text) else { throw SlackFakeError.noSocket }
    }

    // MARK: Faults

    /// `{"type":"disconnect","reason":…}` on every open socket.
    public func disconnect(reason: String) async {
        let frame: JSONValue = ["type": "disconnect", "reason": .string(reason), "debug_info": ["host": "applink-fake"]]
        await state.broadcast(frame.text)
    }

    /// Closes every socket's TCP connection without a WebSocket close frame.
    public func dropSockets() async {
        for channel in await state.closeSockets(abruptly: true) { try? await channel.close() }
    }

    /// Stops reading every socket without closing it: a half-open connection whose peer vanished.
    /// Pings go unanswered; only the client's own liveness checks can notice.
    public func freezeSockets() async {
        for channel in await state.closeSockets(abruptly: true) {
            try? await channel.setOption(ChannelOptions.autoRead, value: false).get()
        }
        await state.forgetSockets()
    }

    /// The next `count` calls of `method` answer 429 with `Retry-After: seconds`.
    public func rateLimit(_ method: String, times count: Int, retryAfter seconds: Int) async {
        await state.setRateLimit(method, count, seconds)
    }

    /// The next `count` `apps.connections.open` calls answer `internal_error`.
    /// Enforces Slack's rate limits from now on (nil switches them off again).
    public func enforceLimits(_ limits: SlackFakeLimits?) async { await state.setLimits(limits) }

    public func failConnectionsOpen(times count: Int) async { await state.setFailConnectionsOpen(count) }

    /// The next `count` acks are ignored, so those envelopes are redelivered.
    public func loseAcks(_ count: Int) async { await state.setLoseAcks(count) }

    // MARK: Observing

    public var openSockets: Int { get async { await state.sockets.count } }
    public var connectionsOpened: Int { get async { await state.connectionsOpened } }
    public var calls: [FakeAPICall] { get async { await state.calls } }
    public var messages: [FakeMessage] { get async { await state.messages } }
    public var ephemerals: [FakeEphemeral] { get async { await state.ephemerals } }
    public var views: [JSONValue] { get async { await state.views } }
    public var rateLimitedCount: [String: Int] { get async { await state.rateLimited } }
    /// Every Web API body, envelope and ack exchanged, for leak scans.
    public var transcript: String { get async { await state.transcript.joined(separator: "\n") } }

    public func ack(_ envelopeID: String) async -> FakeAck? { await state.acks[envelopeID] }
    public var allAcks: [FakeAck] { get async { Array(await state.acks.values) } }
    public var unacked: Int { get async { await state.pending.count } }
    /// Drops recorded acks and the transcript (long benchmark runs).
    public func forgetAcks() async { await state.forget() }

    /// Waits (polling, bounded) until `condition` holds.
    public func waitUntil(timeout: Duration = .seconds(60), _ what: String = "condition",
                          _ condition: @Sendable (SlackFake) async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition(self) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SlackFakeError.timeout(what)
    }

    public func waitForAck(_ envelopeID: String, timeout: Duration = .seconds(30)) async throws -> FakeAck {
        try await waitUntil(timeout: timeout, "ack of \(envelopeID)") { await $0.ack(envelopeID) != nil }
        return await ack(envelopeID)!
    }

    /// The first message matching `predicate`, waiting for it.
    public func waitForMessage(timeout: Duration = .seconds(60), _ what: String,
                               where predicate: @escaping @Sendable (FakeMessage) -> Bool) async throws -> FakeMessage {
        try await waitUntil(timeout: timeout, what) { await $0.messages.contains(where: predicate) }
        return await messages.first(where: predicate)!
    }
}

public enum SlackFakeError: Error, CustomStringConvertible {
    case noSocket
    case timeout(String)

    public var description: String {
        switch self {
        case .noSocket: "the fake had no open Socket Mode connection to send on (waited 10 s)"
        case .timeout(let what): "timed out waiting for \(what)"
        }
    }
}

extension SlackFakeState {
    func setUser(_ id: String, _ name: String) { users[id] = name }
    func addChannel(_ id: String, _ name: String, _ members: [String], _ isPrivate: Bool) { channels.append((id, name, members, isPrivate)) }
    func setPageSize(_ size: Int) { pageSize = max(1, size) }
    func setRateLimit(_ method: String, _ times: Int, _ seconds: Int) { rateLimits[method] = (times, seconds) }
    func setFailConnectionsOpen(_ count: Int) { failConnectionsOpen = count }
    func setLimits(_ limits: SlackFakeLimits?) { limiter = limits.map(SlackFakeLimiter.init) }
    func setLoseAcks(_ count: Int) { loseAcks = count }
    func forgetSockets() { sockets = [:] }
    func forget() {
        acks = [:]
        transcript = []
    }
    func userName(_ id: String) -> String { users[id] ?? id }
    func channelName(_ id: String) -> String { channels.first { $0.id == id }?.name ?? id }

    func newTrigger() -> String {
        let trigger = "\(Int.random(in: 1_000_000...9_999_999)).\(Int.random(in: 1_000_000...9_999_999))"
        triggers.insert(trigger)
        return trigger
    }
}
