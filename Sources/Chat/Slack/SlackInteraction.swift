import AegisChat
import AegisCore
import Foundation
import SlackSocketMode
import SlackWebAPI

/// What one Socket Mode envelope asks the bot to do, read from its payload and nothing else: no
/// I/O, no engine. Everything in a payload is untrusted input, so every field is checked for
/// presence, type and size here, once, and the router only ever sees a typed value.
///
/// The fuzz target `FuzzInteraction` (see docs/fuzzing.md) drives this parser with arbitrary
/// payloads.
public enum SlackInteraction: Sendable {
    /// `/rotate …` typed in a channel.
    case slashCommand(user: String, channel: String, text: String)
    /// A button press: `approve`, `deny`, `cancel`, `provide-key`, … with its value (a rotation ID).
    case blockAction(user: String, channel: String, actionID: String, value: String, triggerID: String)
    /// The key form submitted. `key` is a secret: never logged, never part of a description.
    case keySubmission(user: String, rotationID: String, key: SecretValue)
    /// Not for the bot, or missing what it needs; `reason` is safe to log (it names no value).
    case ignored(reason: String)

    static let keyModalCallback = "aegis-provide-key"
    static let keyBlock = "key_block"
    static let keyAction = "key_input"
    /// Longest ID, text or value read from a payload. Slack's own limits are lower (a slash
    /// command's text is at most 4,000 characters); longer means the payload is not Slack's.
    static let maximumFieldBytes = 8_192

    public init(envelopeType: String, payload: JSONValue) {
        switch envelopeType {
        case "slash_commands": self = Self.slashCommand(payload)
        case "interactive": self = Self.interactive(payload)
        case "events_api": self = .ignored(reason: "an Events API envelope")
        default: self = .ignored(reason: "an envelope of unknown type")
        }
    }

    public init(_ envelope: SocketModeEnvelope) {
        self.init(envelopeType: envelope.type, payload: envelope.payload)
    }

    static func slashCommand(_ payload: JSONValue) -> SlackInteraction {
        guard let user = field(payload["user_id"]), let channel = field(payload["channel_id"]) else {
            return .ignored(reason: "a slash command without user_id or channel_id")
        }
        guard let text = field(payload["text"] ?? .string(""), allowEmpty: true) else {
            return .ignored(reason: "a slash command whose text is not a string of at most \(maximumFieldBytes) bytes")
        }
        return .slashCommand(user: user, channel: channel, text: text)
    }

    static func interactive(_ payload: JSONValue) -> SlackInteraction {
        switch payload["type"]?.string {
        case "block_actions":
            guard let user = field(payload["user"]?["id"]), let channel = field(payload["channel"]?["id"]),
                  let action = payload["actions"]?.array?.first, let actionID = field(action["action_id"]),
                  let value = field(action["value"] ?? .string(""), allowEmpty: true) else {
                return .ignored(reason: "a block action without user, channel or action")
            }
            let trigger = field(payload["trigger_id"]) ?? ""
            return .blockAction(user: user, channel: channel, actionID: actionID, value: value, triggerID: trigger)
        case "view_submission":
            guard payload["view"]?["callback_id"]?.string == keyModalCallback,
                  let user = field(payload["user"]?["id"]), let rotationID = field(payload["view"]?["private_metadata"]),
                  let key = submittedKey(payload) else {
                return .ignored(reason: "a view submission that is not the key form or lacks fields")
            }
            return .keySubmission(user: user, rotationID: rotationID, key: SecretValue(utf8: key.trimmingCharacters(in: .whitespacesAndNewlines)))
        case let other:
            return .ignored(reason: "an interactive payload of type \(other.map { UserText.mark($0.prefix(40)) } ?? "none")")
        }
    }

    /// The key pasted into the form, untrimmed; nil when the form has no such field.
    static func submittedKey(_ payload: JSONValue) -> String? {
        payload["view"]?["state"]?["values"]?[keyBlock]?[keyAction]?["value"]?.string
    }

    /// A string field that is present, non-empty (unless allowed) and not oversized.
    static func field(_ value: JSONValue?, allowEmpty: Bool = false) -> String? {
        guard let text = value?.string, allowEmpty || !text.isEmpty, text.utf8.count <= maximumFieldBytes else { return nil }
        return text
    }
}

extension SlackInteraction: CustomStringConvertible {
    /// Safe to log: names the kind and the people, never a key.
    public var description: String {
        switch self {
        case .slashCommand(let user, let channel, _): "slash command from \(user) in \(channel)"
        case .blockAction(let user, let channel, let actionID, _, _): "button \(actionID) from \(user) in \(channel)"
        case .keySubmission(let user, let rotationID, _): "key form for \(rotationID) from \(user)"
        case .ignored(let reason): "ignored: \(reason)"
        }
    }
}
