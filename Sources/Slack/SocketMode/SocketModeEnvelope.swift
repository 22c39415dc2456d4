import SlackWebAPI

/// One Socket Mode envelope: `slash_commands`, `interactive` or `events_api`.
public struct SocketModeEnvelope: Sendable {
    public let envelopeID: String
    public let type: String
    public let payload: JSONValue
    public let acceptsResponsePayload: Bool
    public let retryAttempt: Int
    public let retryReason: String?

    public init(envelopeID: String, type: String, payload: JSONValue, acceptsResponsePayload: Bool, retryAttempt: Int, retryReason: String?) {
        self.envelopeID = envelopeID
        self.type = type
        self.payload = payload
        self.acceptsResponsePayload = acceptsResponsePayload
        self.retryAttempt = retryAttempt
        self.retryReason = retryReason
    }

    init?(_ frame: JSONValue) {
        guard let id = frame["envelope_id"]?.string, !id.isEmpty else { return nil }
        self.init(envelopeID: id, type: frame["type"]?.string ?? "", payload: frame["payload"] ?? .null,
                  acceptsResponsePayload: frame["accepts_response_payload"]?.bool ?? false,
                  retryAttempt: frame["retry_attempt"]?.int ?? 0, retryReason: frame["retry_reason"]?.string)
    }

    /// What makes two deliveries the same request: the trigger of a command or click, the event ID
    /// of an event. A redelivery carries a new envelope ID but the same trigger.
    var deduplicationKey: String? {
        if let trigger = payload["trigger_id"]?.string { return "trigger:\(trigger)" }
        if let event = payload["event_id"]?.string { return "event:\(event)" }
        return nil
    }
}

/// What the application does with envelopes.
public protocol SocketModeHandler: Sendable {
    /// The `payload` to put in the ack, computed before the ack is sent (so it must be quick and
    /// do no I/O): a `view_submission`'s `response_action: errors`, for example. Only used when the
    /// envelope accepts a response payload.
    func acknowledgement(for envelope: SocketModeEnvelope) -> JSONValue?
    /// Whether ``handle(_:)`` has anything to do with the envelope, asked on the socket's read
    /// path right after the ack (so it must be quick and do no I/O). An envelope it declines never
    /// reaches a task: at hundreds of Events API envelopes a second that the bot does not act on,
    /// handing each to a handler task was a third of the bot's CPU.
    func wantsToHandle(_ envelope: SocketModeEnvelope) -> Bool
    /// Handles an envelope after it was acked. Runs in its own task; never blocks the socket.
    func handle(_ envelope: SocketModeEnvelope) async
}

extension SocketModeHandler {
    public func wantsToHandle(_ envelope: SocketModeEnvelope) -> Bool { true }
}
