import AegisCore
import Foundation

/// Handles `/rotate …` and button presses for every front end. Replies go to the person who typed
/// them; everything the channel should see is published by the engine and rendered by the
/// ``ChatPresenter``.
public struct CommandHandler: Sendable {
    let engine: RotationEngine

    public init(engine: RotationEngine) { self.engine = engine }

    public func handle(text: String, user: String, channel: String) async -> CommandReply {
        do {
            switch ParsedCommand.parse(text) {
            case .invalid(let reason):
                return .ephemeral(reason)
            case .subcommand(let command, let argument):
                return try await run(command, argument: argument, user: user)
            case .request(let secret, let leaked, let reason):
                return try await request(secret: secret, leaked: leaked, reason: reason, user: user, channel: channel)
            }
        } catch {
            return .ephemeral("Something went wrong on my side (\(RotationEngine.safeDescription(error))). Nothing was changed; try again or ask #\(await engine.settings.escalationChannel).")
        }
    }

    /// A button press: `approve`/`deny` with a rotation ID as its value.
    public func handleAction(actionID: String, value: String, user: String) async -> CommandReply {
        do {
            let outcome: DecisionOutcome
            switch actionID {
            case "approve": outcome = try await engine.approve(rotationID: value, user: user)
            case "deny": outcome = try await engine.deny(rotationID: value, user: user)
            case "cancel": outcome = try await engine.cancel(rotationID: value, user: user)
            case "provide-key":
                return .ephemeral("The key form exists only in Slack. Here, stage the key in the secret store yourself (the command is in the thread); I pick it up from there.")
            default: return .ephemeral("That button (`\(UserText.mark(actionID.prefix(40)))`) is not one I know.")
            }
            switch outcome {
            case .refused(let reason): return .ephemeral(reason)
            case .accepted(let snapshot): return .ephemeral("\(snapshot.record.id) is now \(snapshot.record.status.label).")
            }
        } catch {
            return .ephemeral("Something went wrong on my side (\(RotationEngine.safeDescription(error))). Nothing was decided; press again.")
        }
    }

    func request(secret: String, leaked: Bool, reason: String, user: String, channel: String) async throws -> CommandReply {
        switch try await engine.request(secretName: secret, requester: user, reason: reason, leaked: leaked, channel: channel) {
        case .created(let snapshot):
            return .ephemeral("Requested \(snapshot.record.id). A member of #\(await engine.approverGroup) must approve it.")
        case .unknownSecret(let name, let suggestion, let valid):
            let hint = suggestion.map { " Did you mean `\($0)`?" } ?? ""
            return .ephemeral("I don't know a secret called `\(UserText.mark(name.prefix(60)))`.\(hint) Valid names: \(valid.joined(separator: ", ")). `/rotate list` shows aliases.")
        case .alreadyOpen(let open):
            return .ephemeral("\(open.secretID) already has an open rotation: \(open.id) (\(open.status.label), requested by \(open.requester)). Follow it there, or `/rotate cancel \(open.id)`.")
        case .notReady(let secretID, let missing):
            return .ephemeral("\(secretID) can't be rotated here yet:\n" + missing.map { "• \($0)" }.joined(separator: "\n"))
        }
    }

    func run(_ command: RotateCommand, argument: String?, user: String) async throws -> CommandReply {
        switch command {
        case .help:
            return CommandReply(.ephemeral, .plain(InventoryMessages.chatHelp(await engine.inventory)))
        case .list:
            return CommandReply(.ephemeral, .plain(InventoryMessages.chatList(await engine.inventory)))
        case .due:
            return CommandReply(.ephemeral, .plain(InventoryMessages.chatDue(await engine.dueReport())))
        case .status:
            if let id = argument {
                guard let parsed = RotationID(parsing: id), let snapshot = try await engine.snapshot(id: parsed) else {
                    return .ephemeral("There is no rotation \(UserText.mark(id.prefix(20))). `/rotate status` lists the open ones.")
                }
                return CommandReply(.ephemeral, .plain("```\n\(InventoryMessages.detail(snapshot))\n```"))
            }
            return CommandReply(.ephemeral, .plain("```\n\(InventoryMessages.statusTable(try await engine.openRotations()))\n```"))
        case .history:
            guard let name = argument, let (definition, records) = try await engine.history(secretName: name) else {
                return .ephemeral("I don't know a secret called `\(UserText.mark((argument ?? "").prefix(60)))`. `/rotate list` shows the names.")
            }
            return CommandReply(.ephemeral, .plain("```\n\(InventoryMessages.historyTable(definition, records))\n```"))
        case .cancel:
            return await handleAction(actionID: "cancel", value: argument ?? "", user: user)
        case .ack, .resolve:
            let response: EscalationResponse = command == .ack ? .acknowledged : .resolved
            switch try await engine.respond(response, rotationID: argument ?? "", user: user) {
            case .refused(let reason): return .ephemeral(reason)
            case .accepted(let snapshot): return .ephemeral("\(snapshot.record.id)'s escalation is now \(response.rawValue).")
            }
        }
    }
}
