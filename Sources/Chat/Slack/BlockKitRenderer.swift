import AegisChat
import SlackWebAPI

/// Renders the chat layer's messages as Block Kit JSON. Limits are enforced before rendering by
/// ``AegisChat/ChatMessage/limited()``, so Slack never rejects a message for its size.
enum BlockKitRenderer {
    static func blocks(_ message: ChatMessage) -> JSONValue {
        .array(message.limited().blocks.compactMap(block))
    }

    static func block(_ block: ChatBlock) -> JSONValue? {
        switch block {
        case .header(let text):
            return ["type": "header", "text": ["type": "plain_text", "text": .string(UserText.plain(text)), "emoji": true]]
        case .section(let text):
            guard !text.isEmpty else { return nil }
            return ["type": "section", "text": ["type": "mrkdwn", "text": .string(UserText.slack(text))]]
        case .fields(let fields):
            guard !fields.isEmpty else { return nil }
            return ["type": "section", "fields": .array(fields.map { ["type": "mrkdwn", "text": .string(UserText.slack($0))] })]
        case .context(let text):
            return ["type": "context", "elements": [["type": "mrkdwn", "text": .string(UserText.slack(text))]]]
        case .actions(let buttons):
            guard !buttons.isEmpty else { return nil }
            return ["type": "actions", "block_id": "actions", "elements": .array(buttons.map(button))]
        case .divider:
            return ["type": "divider"]
        }
    }

    static func button(_ button: ChatButton) -> JSONValue {
        var object: [String: JSONValue] = [
            "type": "button", "text": ["type": "plain_text", "text": .string(UserText.plain(button.text))],
            "action_id": .string(button.actionID), "value": .string(button.value),
        ]
        switch button.style {
        case .primary: object["style"] = "primary"
        case .danger: object["style"] = "danger"
        case .plain: break
        }
        return .object(object)
    }

    /// The modal that receives a human-made key. The input cannot be masked (Block Kit has no
    /// password field), which is why the thread also offers staging the key in the store directly.
    static func keyModal(rotationID: String, secretTitle: String) -> JSONValue {
        [
            "type": "modal", "callback_id": .string(SlackEnvelopeRouter.keyModalCallback), "private_metadata": .string(rotationID),
            "title": ["type": "plain_text", "text": "New key"],
            "submit": ["type": "plain_text", "text": "Hand over"],
            "close": ["type": "plain_text", "text": "Cancel"],
            "blocks": [
                ["type": "section", "text": ["type": "mrkdwn", "text": .string("Paste the new \(secretTitle) for *\(rotationID)*. It goes straight to the secret store and is checked before anything uses it; it is never posted or logged.")]],
                ["type": "input", "block_id": .string(SlackEnvelopeRouter.keyBlock), "label": ["type": "plain_text", "text": "New key"],
                 "element": ["type": "plain_text_input", "action_id": .string(SlackEnvelopeRouter.keyAction)]],
            ],
        ]
    }
}
