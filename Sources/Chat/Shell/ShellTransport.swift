import AegisChat

/// The terminal as a chat: posts print with their channel, thread replies with their parent.
/// A terminal cannot edit lines, so an update prints one line with the message's new summary, and
/// only when that summary changed; the thread lines and `/rotate status` show the checklist.
public actor ShellTransport: ChatTransport {
    let output: TerminalOutput
    var counter = 0
    var lastText: [String: String] = [:]

    public init(output: TerminalOutput) { self.output = output }

    public func post(_ message: ChatMessage, channel: String, thread: String?) async throws -> String {
        counter += 1
        let ref = "m\(counter)"
        lastText[ref] = message.text
        let place = thread.map { "#\(channel) › thread \($0)" } ?? "#\(channel)"
        await output.write(frame("[\(place)] aegis-rotate (\(ref)):", ShellRenderer.render(message)))
        return ref
    }

    public func update(_ message: ChatMessage, channel: String, messageRef: String) async throws {
        guard lastText[messageRef] != message.text else { return }
        lastText[messageRef] = message.text
        await output.write("[#\(channel)] ✎ \(messageRef) updated: \(message.text)")
    }

    public func postEphemeral(_ message: ChatMessage, channel: String, user: String) async throws {
        await output.write(frame("[#\(channel)] (only \(user) sees this):", ShellRenderer.render(message)))
    }

    func frame(_ head: String, _ lines: [String]) -> String {
        ([head] + lines.map { "    \($0)" }).joined(separator: "\n")
    }
}
