import AegisApp
import AegisCore
import AegisLocalSandbox
import AegisTestServers
import Foundation
import Logging
import SlackFake
import SlackWebAPI
import SlackSocketMode

/// The repository's root folder (this file is `Tests/Support/SlackTestSupport/SlackHarness.swift`).
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The fake workspace's people and channels: alice and bob are operators, carol and dave are in
/// #security-ops (the approver channel), dave alone is in #platform-support (escalations).
public enum People {
    public static let alice = "U0ALICE01", bob = "U0BOB0001", carol = "U0CAROL01", dave = "U0DAVE001"
    public static let ops = "C0OPS0001", securityOps = "C0SECOPS1", platformSupport = "C0PLATSUP"
}

/// The real bot (`SlackBot.build`, as `aegis-rotate bot` runs it) against the in-repo Slack fake,
/// on the local sandbox unless the environment says otherwise, with waits shortened through
/// configuration.
public struct SlackHarness: Sendable {
    public let fake: SlackFake
    public let bot: SlackBot
    public let runner: Task<Void, any Error>
    /// The harness's own folder: the bot's log, its state store, the local sandbox.
    public let folder: URL

    public var logFile: URL { folder.appendingPathComponent("bot.log") }
    public var stateFile: URL { folder.appendingPathComponent("state.sqlite") }

    /// Starts the fake and the bot.
    /// - Parameters:
    ///   - extra: settings that win over the harness's defaults (`AEGIS_ENV=local`, its own state and sandbox).
    ///   - extraCommands: Commands files to add (name → YAML) to the harness's copy of `Commands`.
    ///   - commandsDirectory: a Commands folder to use as it is instead of a copy of the repository's
    ///     (e.g. a production scenario's); `extraCommands` must then be empty.
    public static func start(environment extra: [String: String] = [:], commands extraCommands: [String: String] = [:],
                             commandsDirectory: URL? = nil, redeliverAfter: Duration = .seconds(3),
                             connections: Int = 1) async throws -> SlackHarness {
        precondition(commandsDirectory == nil || extraCommands.isEmpty, "extra Commands files go into the given folder")
        let fake = try await startWorkspace(redeliverAfter: redeliverAfter)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-slack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let commands: URL
        if let commandsDirectory {
            commands = commandsDirectory
        } else {
            commands = folder.appendingPathComponent("Commands")
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Commands"), to: commands)
            for (name, text) in extraCommands { try text.write(to: commands.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        }

        var environment = [
            "SLACK_APP_TOKEN": "xapp-1-A0AEGIS-test", "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": fake.apiURL,
            "AEGIS_ENV": "local", "AEGIS_STATE_URL": "sqlite://\(folder.path)/state.sqlite", "AEGIS_COMMANDS_DIR": commands.path,
            "AEGIS_LOCAL_DIR": folder.appendingPathComponent("local").path, "AEGIS_JWT_GRACE": "1h", "AEGIS_TIMER_POLL": "100ms",
            "AEGIS_RETRY_BASE": "10ms", "AEGIS_OPS_ADDRESS": "127.0.0.1:0", "AEGIS_SLACK_PACE": "250ms"
        ]
        for (key, value) in extra { environment[key] = value }
        let configuration = try AegisConfiguration(environment: environment)
        let logFile = folder.appendingPathComponent("bot.log")
        let handler = try JSONLogHandler.appending(to: logFile.path, label: "aegis-rotate")
        var logger = Logger(label: "aegis-rotate") { _ in handler }
        logger.logLevel = .debug
        let bot = try SlackBot.build(configuration: configuration, logger: logger, socket: SocketModeConfiguration(
            connections: connections, pingInterval: .seconds(1), idleTimeout: .seconds(5), helloTimeout: .seconds(3),
            backoffBase: .milliseconds(50), backoffCap: .milliseconds(500)))
        let runner = Task { try await bot.run() }
        try await fake.waitUntil(timeout: .seconds(60), "the bot's sockets") { await $0.openSockets == connections }
        return SlackHarness(fake: fake, bot: bot, runner: runner, folder: folder)
    }

    /// The Slack fake with the test workspace: ``People``'s users and channels, members listed two
    /// to a page (so the approver check must paginate).
    public static func startWorkspace(redeliverAfter: Duration = .seconds(3)) async throws -> SlackFake {
        let fake = try await SlackFake.start(redeliverAfter: redeliverAfter)
        for (id, name) in [(People.alice, "alice"), (People.bob, "bob"), (People.carol, "carol"), (People.dave, "dave")] {
            await fake.addUser(id, name: name)
        }
        let fillers = (1...5).map { "U0FILL00\($0)" }
        await fake.addChannel(People.ops, name: "ops", members: [People.alice, People.bob, People.carol, People.dave])
        await fake.addChannel(People.securityOps, name: "security-ops", members: fillers + [People.carol, People.dave], isPrivate: true)
        await fake.addChannel(People.platformSupport, name: "platform-support", members: [People.dave])
        await fake.setPageSize(2)
        return fake
    }

    /// Cancels the bot and stops the fake. Throws when the bot did not end within 10 s of being
    /// cancelled (a shutdown that hangs is a product bug, and names itself here).
    public func stop() async throws {
        runner.cancel()
        let runner = self.runner
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try await withDeadline(.seconds(10), "the Slack bot to end after cancellation") { _ = await runner.result }
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    /// Starts the fake and the bot (as ``start(environment:commands:commandsDirectory:redeliverAfter:connections:)``),
    /// runs `body`, then stops both, whether `body` passed or threw.
    public static func with<T>(environment extra: [String: String] = [:], commands extraCommands: [String: String] = [:],
                               commandsDirectory: URL? = nil, redeliverAfter: Duration = .seconds(3), connections: Int = 1,
                               _ body: (SlackHarness) async throws -> T) async throws -> T {
        let harness = try await start(environment: extra, commands: extraCommands, commandsDirectory: commandsDirectory,
                                      redeliverAfter: redeliverAfter, connections: connections)
        let result: T
        do {
            result = try await body(harness)
        } catch {
            try? await harness.stop()
            throw error
        }
        try await harness.stop()
        return result
    }

    /// `/rotate <text>` by `requester` in #ops, then the Approve button on the request message
    /// clicked by `approver`; returns the request message (its thread holds the run's lines).
    @discardableResult
    public func requestAndApprove(_ text: String, id: String = "R-1", requester: String = People.alice,
                                  approver: String = People.carol) async throws -> FakeMessage {
        try await fake.slashCommand(user: requester, channel: People.ops, text: text)
        let request = try await requestMessage(id)
        try await fake.click(user: approver, channel: People.ops, message: request, actionID: "approve", value: id)
        return request
    }

    /// Messages in a channel; top-level ones unless `thread` is given.
    public func messages(in channel: String, thread: String? = nil) async -> [FakeMessage] {
        await fake.messages.filter { $0.channel == channel && $0.threadTS == thread }
    }

    public func requestMessage(_ id: String) async throws -> FakeMessage {
        try await fake.waitForMessage("request message \(id)") { $0.channel == People.ops && $0.threadTS == nil && $0.text.contains("Rotation \(id) ") }
    }

    public func threadText(_ parent: FakeMessage) async -> String {
        await messages(in: parent.channel, thread: parent.ts).map(\.allText).joined(separator: "\n")
    }

    public func ephemerals(for user: String) async -> [String] {
        await fake.ephemerals.filter { $0.user == user }.map(\.text)
    }

    public func waitForEphemeral(_ user: String, containing text: String) async throws {
        try await fake.waitUntil("ephemeral to \(user): \(text)") { fake in
            await fake.ephemerals.contains { $0.user == user && $0.text.contains(text) }
        }
    }

    public func waitForThread(_ parent: FakeMessage, containing text: String, timeout: Duration = .seconds(60)) async throws {
        try await fake.waitUntil(timeout: timeout, "thread line: \(text)") { fake in
            await fake.messages.contains { $0.threadTS == parent.ts && $0.allText.contains(text) }
        }
    }

    /// The request message as it is now (after updates).
    public func current(_ message: FakeMessage) async -> FakeMessage {
        await fake.messages.first { $0.channel == message.channel && $0.ts == message.ts } ?? message
    }

    /// Every secret value in the local sandbox (store versions and deployed config).
    public func sandboxSecrets() async throws -> [String] {
        var values: [String] = []
        let enumerator = FileManager.default.enumerator(at: folder.appendingPathComponent("local/secrets"), includingPropertiesForKeys: nil)
        while let file = enumerator?.nextObject() as? URL {
            if file.pathExtension == "secret" { values.append(try String(contentsOf: file, encoding: .utf8)) }
        }
        return values
    }

    /// What the bot sent to Slack (Web API bodies and acks), its log, and its state files.
    public func botOutputs() async -> [String: Data] {
        var outputs: [String: Data] = [:]
        outputs["web api"] = Data(await fake.calls.map { "\($0.method) \($0.body.text)" }.joined(separator: "\n").utf8)
        outputs["acks"] = Data(await fake.allAcks.map { $0.payload?.text ?? "" }.joined(separator: "\n").utf8)
        for file in [logFile, stateFile, URL(fileURLWithPath: stateFile.path + "-wal"), URL(fileURLWithPath: stateFile.path + "-shm")] {
            if let data = try? Data(contentsOf: file) { outputs[file.lastPathComponent] = data }
        }
        return outputs
    }

    /// The names of outputs holding any of `values` (or a 24-character piece of one's longest line).
    public func leaks(of values: [String]) async -> [String] {
        LeakScanner.leaks(of: values, in: await botOutputs())
    }
}
