import AegisChat
import AegisCore
import Foundation
import Logging
import SlackSocketMode
import SlackWebAPI

/// Turns Socket Mode envelopes into the shared command handler's calls: `/rotate …`, button
/// presses, and the key modal. Answers go to the person privately (`chat.postEphemeral`).
/// Payloads are never logged: a `view_submission` carries a key.
public struct SlackEnvelopeRouter: SocketModeHandler {
    static let keyModalCallback = SlackInteraction.keyModalCallback
    static let keyBlock = SlackInteraction.keyBlock
    static let keyAction = SlackInteraction.keyAction

    let handler: CommandHandler
    let engine: RotationEngine
    let transport: any ChatTransport
    let api: SlackWebClient
    let logger: Logger

    public init(handler: CommandHandler, engine: RotationEngine, transport: any ChatTransport, api: SlackWebClient, logger: Logger) {
        self.handler = handler
        self.engine = engine
        self.transport = transport
        self.api = api
        self.logger = logger
    }

    /// Rejects an empty or oversized key in the modal itself (`response_action: errors`).
    public func acknowledgement(for envelope: SocketModeEnvelope) -> JSONValue? {
        guard envelope.payload["type"]?.string == "view_submission",
              envelope.payload["view"]?["callback_id"]?.string == Self.keyModalCallback else { return nil }
        let value = SlackInteraction.submittedKey(envelope.payload) ?? ""
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return ["response_action": "errors", "errors": .object([Self.keyBlock: "Paste the new key."])] }
        if trimmed.utf8.count > 8_192 { return ["response_action": "errors", "errors": .object([Self.keyBlock: "That is too long for a key."])] }
        return nil
    }

    /// Envelopes that are no command, click or key form (Events API envelopes above all) are
    /// logged and dropped on the socket's read path instead of getting a task each.
    public func wantsToHandle(_ envelope: SocketModeEnvelope) -> Bool {
        guard case .ignored(let reason) = SlackInteraction(envelope) else { return true }
        logIgnored(envelope, reason: reason)
        return false
    }

    public func handle(_ envelope: SocketModeEnvelope) async {
        var logger = self.logger
        logger[metadataKey: "envelope.id"] = "\(envelope.envelopeID)"
        logger[metadataKey: "envelope.type"] = "\(envelope.type)"
        switch SlackInteraction(envelope) {
        case .slashCommand(let user, let channel, let text):
            let reply = await handler.handle(text: text, user: SlackUsers.mention(user), channel: channel)
            await answer(reply, channel: channel, user: user, logger: logger)
        case .blockAction(let user, let channel, "provide-key", let rotationID, let trigger):
            await openKeyModal(rotationID: rotationID, trigger: trigger, channel: channel, user: user, logger: logger)
        case .blockAction(let user, let channel, let actionID, let value, _):
            await answer(await handler.handleAction(actionID: actionID, value: value, user: SlackUsers.mention(user)),
                         channel: channel, user: user, logger: logger)
        case .keySubmission(let user, let rotationID, let key):
            await keySubmitted(user: user, rotationID: rotationID, key: key, logger: logger)
        case .ignored(let reason):
            logIgnored(envelope, reason: reason)
        }
    }

    /// Events API envelopes are expected (and many): not worth a line each.
    func logIgnored(_ envelope: SocketModeEnvelope, reason: String) {
        logger.log(level: envelope.type == "events_api" ? .debug : .warning, "ignored \(reason)",
                   metadata: ["envelope.id": "\(envelope.envelopeID)", "envelope.type": "\(envelope.type)"])
    }

    func openKeyModal(rotationID: String, trigger: String, channel: String, user: String, logger: Logger) async {
        guard let id = RotationID(parsing: rotationID), let snapshot = try? await engine.snapshot(id: id) else {
            await answer(.ephemeral("There is no rotation \(UserText.mark(rotationID.prefix(20)))."), channel: channel, user: user, logger: logger)
            return
        }
        do {
            try await api.openView(triggerID: trigger, view: BlockKitRenderer.keyModal(rotationID: snapshot.record.id.rawValue, secretTitle: snapshot.definition.title))
        } catch {
            logger.warning("views.open failed", metadata: ["error": "\(error)"])
            await answer(.ephemeral("I could not open the key form (\(error)). Press the button again, or stage the key in the store."),
                         channel: channel, user: user, logger: logger)
        }
    }

    func keySubmitted(user: String, rotationID: String, key: SecretValue, logger: Logger) async {
        var channel: String?
        if let id = RotationID(parsing: rotationID) { channel = (try? await engine.snapshot(id: id))?.record.origin.channel }
        let outcome: DecisionOutcome
        do {
            outcome = try await engine.provideKey(rotationID: rotationID, user: SlackUsers.mention(user), value: key)
        } catch {
            logger.error("could not store the provided key", metadata: ["error": "\(RotationEngine.safeDescription(error))"])
            outcome = .refused("I could not store the key (\(RotationEngine.safeDescription(error))); nothing was changed. Try again.")
        }
        guard let channel else { return }
        switch outcome {
        case .refused(let reason): await answer(.ephemeral(reason), channel: channel, user: user, logger: logger)
        case .accepted(let snapshot): await answer(.ephemeral("Thanks — \(snapshot.record.id) has the new key and goes on."), channel: channel, user: user, logger: logger)
        }
    }

    func answer(_ reply: CommandReply, channel: String, user: String, logger: Logger) async {
        do {
            switch reply.visibility {
            case .ephemeral: try await transport.postEphemeral(reply.message, channel: channel, user: user)
            case .inChannel: try await transport.post(reply.message, channel: channel, thread: nil)
            }
        } catch {
            logger.error("could not answer in Slack", metadata: ["error": "\(error)"])
        }
    }
}
