import AegisCore
import Logging

/// Renders the engine's events into a chat: the request message (posted, then updated in place as
/// a checklist), one thread line per step, verification results, escalations to the escalation
/// channel, the approver-channel announcement and incident notices. A chat outage never stops a
/// rotation: failures to post are logged and the rotation goes on.
public actor ChatPresenter: RotationEventSink {
    let transport: any ChatTransport
    let approverChannel: String
    let escalationChannel: String
    var logger: Logger
    var engine: RotationEngine?
    /// Where each request message of this process's rotations is, as the transport named it when
    /// it was posted (a queueing transport's provisional reference until the post went out). The
    /// rotation record learns the chat's own reference only once the message is there.
    var requestMessages: [RotationID: String] = [:]

    public init(transport: any ChatTransport, approverChannel: String, escalationChannel: String, logger: Logger) {
        self.transport = transport
        self.approverChannel = approverChannel
        self.escalationChannel = escalationChannel
        self.logger = logger
    }

    /// The engine records where request messages live; set once both exist.
    public func connect(_ engine: RotationEngine) { self.engine = engine }

    public func publish(_ event: RotationEvent) async {
        do {
            try await render(event)
        } catch {
            logger.error("could not post to chat", metadata: ["error": "\(RotationEngine.safeDescription(error))", "error.type": "\(type(of: error))"])
        }
    }

    func render(_ event: RotationEvent) async throws {
        switch event {
        case .requested(let snapshot):
            let record = snapshot.record
            let engine = self.engine
            let logger = self.logger
            let ref = try await transport.post(RotationMessages.request(snapshot, approverGroup: approverChannel),
                                               channel: record.origin.channel, thread: nil) { delivered in
                do {
                    try await engine?.attachMessage(rotationID: record.id, channel: record.origin.channel, messageRef: delivered)
                } catch {
                    logger.error("could not record where the request message is", metadata: [
                        "rotation.id": "\(record.id)", "error": "\(RotationEngine.safeDescription(error))"])
                }
            }
            requestMessages[record.id] = ref
            try await transport.post(RotationMessages.announcement(snapshot, approverGroup: approverChannel), channel: approverChannel, thread: nil)
        case .decided(let snapshot):
            try await updateRequest(snapshot)
            try await thread(snapshot, RotationMessages.decision(snapshot))
        case .stepChanged(let snapshot, let index):
            try await updateRequest(snapshot)
            if let line = RotationMessages.stepLine(snapshot, index: index) { try await thread(snapshot, line) }
        case .verification(let snapshot, let report):
            try await thread(snapshot, RotationMessages.verification(report, rotationID: snapshot.record.id))
        case .note(let snapshot, let text):
            try await thread(snapshot, .plain("📝 \(text)"))
        case .keyRequested(let snapshot, let request):
            try await thread(snapshot, RotationMessages.keyRequest(snapshot, request))
        case .rollbackStarted(let snapshot, let reason):
            try await thread(snapshot, .plain("↺ Rolling back: \(reason)"))
        case .finished(let snapshot, let escalation):
            try await updateRequest(snapshot)
            try await thread(snapshot, RotationMessages.finished(snapshot))
            if let escalation { try await escalate(escalation, snapshot) }
        case .graceCleanup(let snapshot, let summary, let escalation):
            try await thread(snapshot, .plain("🧹 Grace period over for \(snapshot.record.id): \(summary)"))
            if let escalation { try await escalate(escalation, snapshot) }
        case .incident(let snapshot):
            let message = RotationMessages.incident(snapshot)
            try await transport.post(message, channel: approverChannel, thread: nil)
            try await transport.post(message, channel: escalationChannel, thread: nil)
        case .overdue(let items):
            try await transport.post(RotationMessages.overdue(items), channel: escalationChannel, thread: nil)
        case .escalationHandled(let snapshot, let handling):
            let line = RotationMessages.escalationHandled(snapshot, handling)
            try await thread(snapshot, .plain(line))
            try await transport.post(.plain(line), channel: escalationChannel, thread: nil)
        case .stalled(let rotationID, let attempts, let problem):
            try await transport.post(RotationMessages.stalled(rotationID: rotationID, attempts: attempts, problem: problem),
                                     channel: escalationChannel, thread: nil)
        }
    }

    func requestMessage(_ snapshot: RotationSnapshot) -> String? {
        requestMessages[snapshot.record.id] ?? snapshot.record.origin.messageRef
    }

    func updateRequest(_ snapshot: RotationSnapshot) async throws {
        guard let ref = requestMessage(snapshot) else { return }
        try await transport.update(RotationMessages.request(snapshot, approverGroup: approverChannel),
                                   channel: snapshot.record.origin.channel, messageRef: ref)
    }

    func thread(_ snapshot: RotationSnapshot, _ message: ChatMessage) async throws {
        try await transport.post(message, channel: snapshot.record.origin.channel, thread: requestMessage(snapshot))
    }

    func escalate(_ escalation: Escalation, _ snapshot: RotationSnapshot) async throws {
        let message = RotationMessages.escalation(escalation, channel: snapshot.record.origin.channel)
        try await transport.post(message, channel: escalationChannel, thread: nil)
        try await thread(snapshot, message)
    }
}
