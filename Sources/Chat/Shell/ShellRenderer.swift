import AegisChat

/// Renders chat messages as readable terminal text; buttons show what to type to press them.
enum ShellRenderer {
    static func render(_ message: ChatMessage) -> [String] {
        guard !message.blocks.isEmpty else { return [message.text] }
        var lines: [String] = []
        for block in message.blocks {
            switch block {
            case .header(let text): lines.append("▌ \(text)")
            case .section(let text): lines += text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            case .fields(let fields): lines.append(fields.joined(separator: " · "))
            case .context(let text): lines.append("(\(text))")
            case .actions(let buttons): lines.append(buttons.map { "[ \($0.text) ] type: \($0.shellCommand)" }.joined(separator: "    "))
            case .divider: lines.append("────────")
            }
        }
        return lines
    }
}
