import AegisChat
import AegisCore
import Foundation
import ServiceLifecycle

/// `aegis-rotate shell`: the Slack bot's command handler in the terminal, like Hubot's shell
/// adapter. Reads lines from standard input; `/as <user>` switches who is typing; `/rotate …`
/// runs commands; buttons are pressed by typing what they show (`approve R-3`). When input ends
/// it waits for running rotations to finish, then returns (which shuts the service group down).
public struct ShellSession: Service {
    let handler: CommandHandler
    let engine: RotationEngine
    let output: TerminalOutput
    let workspace: ShellWorkspace
    let banner: String
    let lines: AsyncStream<String>

    public init(handler: CommandHandler, engine: RotationEngine, output: TerminalOutput, workspace: ShellWorkspace,
                banner: String, lines: AsyncStream<String>? = nil) {
        self.handler = handler
        self.engine = engine
        self.output = output
        self.workspace = workspace
        self.banner = banner
        self.lines = lines ?? LineReader.standardInput()
    }

    public static let help = """
    Shell commands:
      /rotate …             the bot's commands (/rotate help lists them)
      approve R-3, deny R-3  press a button (every button shows what to type)
      provide-key R-3       hand over a new key: paste it on the next line (not shown), or
                            provide-key R-3 --file PATH
      /as <user>            type as another user
      /whoami               who is typing
      /wait                 wait until no rotation is running
      /sleep <duration>     pause (e.g. /sleep 3s), for scripts that wait out a grace period
      /quit                 leave (also end of input)
    """

    public func run() async throws {
        var user = workspace.users.first ?? "alice"
        await output.write(banner)
        await output.write("You are \(user). Users: \(workspace.users.joined(separator: ", ")); #\(await engine.approverGroup): \(workspace.approvers.joined(separator: ", ")). Type /help.")
        var input = lines.cancelOnGracefulShutdown().makeAsyncIterator()
        while let rawLine = await input.next() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            await output.write("\(user)> \(line)")
            if line == "/quit" || line == "/exit" { break }
            do throws(ShellUsage) {
                if let command = try ProvideKeyCommand(line.split(separator: " ").map(String.init)) {
                    // The key is the next line of input: read here, never echoed, never dispatched.
                    let key: SecretValue?
                    switch command.source {
                    case .file(let path):
                        key = try ProvideKeyCommand.read(file: path)
                    case .nextLine:
                        let echo = TerminalEcho()
                        await say("Paste the new key for \(command.rotationID.prefix(20)) and press Enter\(echo.isTerminal ? " (it is not shown)" : "")…")
                        let next = await input.next()
                        echo.restore()
                        key = next.map { ProvideKeyCommand.trimmed(Array($0.utf8)) }
                    }
                    await provide(key, to: command.rotationID, user: user)
                    continue
                }
            } catch {
                await say(error.message)
                continue
            }
            user = await dispatch(line, user: user)
        }
        // At the end of input the session waits for running rotations; on SIGTERM it does not:
        // the engine then gets its shutdown grace and leaves the rest for the next start.
        if !Task.isShuttingDownGracefully { await waitUnlessShuttingDown { await self.engine.waitUntilIdle() } }
        await output.write("Bye.")
    }

    /// Runs a wait that SIGTERM ends at once.
    func waitUnlessShuttingDown(_ wait: @escaping @Sendable () async -> Void) async {
        try? await cancelWhenGracefulShutdown { await wait() }
    }

    /// Handles one line; returns who is typing afterwards.
    func dispatch(_ line: String, user: String) async -> String {
        let words = line.split(separator: " ").map(String.init)
        switch words.first ?? "" {
        case "/as":
            guard !workspace.identityLocked else {
                await say("In production the shell's user is your operating-system user (\(user)); /as works only on the local sandbox. A second person approves in Slack, or in their own shell.")
                return user
            }
            guard words.count == 2 else { await say("Usage: /as <user>"); return user }
            guard let name = workspace.users.first(where: { PersonName.same($0, words[1]) }) else {
                await say("There is no user '\(words[1].prefix(40))' here. Users: \(workspace.users.joined(separator: ", ")).")
                return user
            }
            await say("You are now \(name).")
            return name
        case "/whoami":
            await say("You are \(user)\(workspace.approvers.contains(user) ? " (member of the approver channel)" : "").")
        case "/help", "help":
            await say(Self.help)
        case "/wait":
            await waitUnlessShuttingDown { await self.engine.waitUntilIdle() }
            await say(Task.isShuttingDownGracefully ? "Shutting down." : "No rotation is running.")
        case "/sleep":
            guard words.count == 2, let duration = try? DurationText.parse(words[1]) else { await say("Usage: /sleep 3s"); return user }
            await waitUnlessShuttingDown { try? await Task.sleep(for: duration) }
        case "/rotate":
            await show(await handler.handle(text: words.dropFirst().joined(separator: " "), user: user, channel: workspace.channel), user: user)
        case "approve", "deny", "cancel":
            guard words.count == 2 else { await say("Usage: \(words[0]) R-3"); return user }
            if workspace.identityLocked && workspace.approvers.isEmpty && words[0] != "cancel" {
                await say("No shell approvers are configured, so approvals in this shell are refused. Approve in Slack, or list the approvers' operating-system user names under shell.approvers in aegis-rotate.yaml (AEGIS_CONFIG).")
                return user
            }
            await show(await handler.handleAction(actionID: words[0], value: words[1], user: user), user: user)
        default:
            await say("I only understand /rotate commands, button presses like `approve R-1`, and shell commands. Type /help.")
        }
        return user
    }

    /// Hands a key to the engine as the Slack form would; says what happened, never the key.
    func provide(_ key: SecretValue?, to rotationID: String, user: String) async {
        guard let key else {
            await say("No key arrived (input ended). Nothing was handed over.")
            return
        }
        do {
            switch try await engine.provideKey(rotationID: rotationID, user: user, value: key) {
            case .refused(let reason): await say(reason)
            case .accepted(let snapshot): await say("Received the new key for \(snapshot.record.id) (\(key.byteCount) bytes); it went straight to the secret store and is checked before use.")
            }
        } catch {
            await say("Something went wrong on my side (\(RotationEngine.safeDescription(error))). The key was not handed over; try again.")
        }
    }

    func show(_ reply: CommandReply, user: String) async {
        let lines = ShellRenderer.render(reply.message).map { "    \($0)" }.joined(separator: "\n")
        let head = reply.visibility == .ephemeral ? "[#\(workspace.channel)] (only \(user) sees this):" : "[#\(workspace.channel)] aegis-rotate:"
        await output.write("\(head)\n\(lines)")
    }

    func say(_ text: String) async {
        await output.write(text.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n"))
    }
}
