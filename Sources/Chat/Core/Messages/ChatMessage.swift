/// A chat message independent of Slack or the terminal: Block Kit's shapes, rendered by each
/// transport. ``limited()`` enforces Block Kit's limits so a long plan can never make Slack
/// reject a message.
public struct ChatMessage: Sendable, Hashable {
    public var text: String
    public var blocks: [ChatBlock]

    public init(text: String, blocks: [ChatBlock] = []) {
        self.text = text
        self.blocks = blocks
    }

    public static func plain(_ text: String) -> ChatMessage { ChatMessage(text: text, blocks: [.section(text)]) }

    /// Block Kit limits: 50 blocks a message, 3,000 characters a section, 10 fields, 25 elements in
    /// an actions block, 75 characters of button text, 4,000 characters of fallback text.
    public func limited() -> ChatMessage {
        var blocks = Array(self.blocks.prefix(50)).map { block -> ChatBlock in
            switch block {
            case .header(let text): .header(ChatMessage.clip(text, 150))
            case .section(let text): .section(ChatMessage.clip(text, 3_000))
            case .fields(let fields): .fields(Array(fields.prefix(10)).map { ChatMessage.clip($0, 2_000) })
            case .context(let text): .context(ChatMessage.clip(text, 2_000))
            case .actions(let buttons): .actions(Array(buttons.prefix(25)).map { $0.clipped() })
            case .divider: .divider
            }
        }
        if self.blocks.count > 50 { blocks[49] = .context("… \(self.blocks.count - 49) more blocks left out") }
        return ChatMessage(text: ChatMessage.clip(text, 4_000), blocks: blocks)
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

public enum ChatBlock: Sendable, Hashable {
    case header(String)
    /// Markdown-ish text: `*bold*`, `` `code` ``, line breaks.
    case section(String)
    case fields([String])
    case context(String)
    case actions([ChatButton])
    case divider
}

/// A button. The shell prints `shellCommand` as what to type to press it.
public struct ChatButton: Sendable, Hashable {
    public enum Style: String, Sendable { case primary, danger, plain }

    public var text: String
    public var actionID: String
    public var value: String
    public var style: Style

    public init(text: String, actionID: String, value: String, style: Style = .plain) {
        self.text = text
        self.actionID = actionID
        self.value = value
        self.style = style
    }

    /// What to type in the shell to press this button, e.g. `approve R-3`.
    public var shellCommand: String { "\(actionID) \(value)" }

    func clipped() -> ChatButton {
        ChatButton(text: ChatMessage.clip(text, 75), actionID: String(actionID.prefix(255)), value: String(value.prefix(2_000)), style: style)
    }
}
