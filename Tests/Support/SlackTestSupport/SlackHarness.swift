import AegisApp
import AegisCore
import AegisLocalSandbox
import Foundation
import Logging
import SlackFake
import SlackWebAPI
import SlackSocketMode

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

enum People {
    static let alice = "U0ALICE01", bob = "U0BOB0001", carol = "U0CAROL01", dave = "U0DAVE001"
    static let ops = "C0OPS0001", securityOps = "C0SECOPS1", platformSupport = "C0PLATSUP"
}

/// The real bot (`SlackBot.build`, as `aegis-rotate bot` runs it) against the in-repo Slack fake,
/// on the local sandbox, with waits shortened through configuration.
struct SlackHarness {
    let fake: SlackFake
    let bot: SlackBot
    let runner: Task<Void, any Error>
    let folder: URL

    var logFile: URL { folder.appendingPathComponent("bot.log") }
    var stateFile: URL { folder.appendingPathComponent("state.sqlite") }

    static func start(environment extra: [String: String] = [:], commands extraCommands: [String: String] = [:],
                      redeliverAfter: Duration = .seconds(3), connections: Int = 1) async throws -> SlackHarness {
        let fake = try await SlackFake.start(redeliverAfter: redeliverAfter)
        for (id, name) in [(People.alice, "alice"), (People.bob, "bob"), (People.carol, "carol"), (People.dave, "dave")] {
            await fake.addUser(id, name: name)
        }
        let fillers = (1...5).map { "U0FILL00\($0)" }
        await fake.addChannel(People.ops, name: "ops", members: [People.alice, People.bob, People.carol, People.dave])
        await fake.addChannel(People.securityOps, name: "security-ops", members: fillers + [People.carol, People.dave], isPrivate: true)
        await fake.addChannel(People.platformSupport, name: "platform-support", members: [People.dave])
        await fake.setPageSize(2)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-slack-\(UUID().uuidString)")
        let commands = folder.appendingPathComponent("Commands")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Commands"), to: commands)
        for (name, text) in extraCommands { try text.write(to: commands.appendingPathComponent(name), atomically: true, encoding: .utf8) }

        var environment = [
            "SLACK_APP_TOKEN": "xapp-1-A0AEGIS-test", "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": fake.apiURL,
            "AEGIS_ENV": "local", "AEGIS_STATE_URL": "sqlite://\(folder.path)/state.sqlite", "AEGIS_COMMANDS_DIR": commands.path,
            "AEGIS_LOCAL_DIR": folder.appendingPathComponent("local").path, "AEGIS_JWT_GRACE": "1h", "AEGIS_TIMER_POLL": "100ms",
            "AEGIS_RETRY_BASE": "10ms"
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
        try await fake.waitUntil(timeout: .seconds(20), "the bot's sockets") { await $0.openSockets == connections }
        return SlackHarness(fake: fake, bot: bot, runner: runner, folder: folder)
    }

    func stop() async {
        runner.cancel()
        _ = await runner.result
        await fake.stop()
    }

    /// Messages in a channel; top-level ones unless `thread` is given.
    func messages(in channel: String, thread: String? = nil) async -> [FakeMessage] {
        await fake.messages.filter { $0.channel == channel && $0.threadTS == thread }
    }

    func requestMessage(_ id: String) async throws -> FakeMessage {
        try await fake.waitForMessage("request message \(id)") { $0.channel == People.ops && $0.threadTS == nil && $0.text.contains("Rotation \(id) ") }
    }

    func threadText(_ parent: FakeMessage) async -> String {
        await messages(in: parent.channel, thread: parent.ts).map(\.allText).joined(separator: "\n")
    }

    func ephemerals(for user: String) async -> [String] {
        await fake.ephemerals.filter { $0.user == user }.map(\.text)
    }

    func waitForEphemeral(_ user: String, containing text: String) async throws {
        try await fake.waitUntil("ephemeral to \(user): \(text)") { fake in
            await fake.ephemerals.contains { $0.user == user && $0.text.contains(text) }
        }
    }

    func waitForThread(_ parent: FakeMessage, containing text: String, timeout: Duration = .seconds(20)) async throws {
        try await fake.waitUntil(timeout: timeout, "thread line: \(text)") { fake in
            await fake.messages.contains { $0.threadTS == parent.ts && $0.allText.contains(text) }
        }
    }

    /// The request message as it is now (after updates).
    func current(_ message: FakeMessage) async -> FakeMessage {
        await fake.messages.first { $0.channel == message.channel && $0.ts == message.ts } ?? message
    }

    /// Every secret value in the sandbox (store versions and deployed config).
    func sandboxSecrets() async throws -> [String] {
        var values: [String] = []
        let enumerator = FileManager.default.enumerator(at: folder.appendingPathComponent("local/secrets"), includingPropertiesForKeys: nil)
        while let file = enumerator?.nextObject() as? URL {
            if file.pathExtension == "secret" { values.append(try String(contentsOf: file, encoding: .utf8)) }
        }
        return values
    }

    /// What the bot sent to Slack (Web API bodies and acks), its log, and its state files.
    func botOutputs() async -> [String: Data] {
        var outputs: [String: Data] = [:]
        outputs["web api"] = Data(await fake.calls.map { "\($0.method) \($0.body.text)" }.joined(separator: "\n").utf8)
        outputs["acks"] = Data(await fake.allAcks.map { $0.payload?.text ?? "" }.joined(separator: "\n").utf8)
        for file in [logFile, stateFile, URL(fileURLWithPath: stateFile.path + "-wal")] {
            if let data = try? Data(contentsOf: file) { outputs[file.lastPathComponent] = data }
        }
        return outputs
    }

    /// The names of outputs holding any of `values` (or a 24-character piece of one).
    func leaks(of values: [String]) async -> [String] {
        let needles = values.filter { $0.count >= 16 }.flatMap { value -> [Data] in
            let line = value.split(separator: "\n").map(String.init).max { $0.count < $1.count } ?? value
            let start = line.index(line.startIndex, offsetBy: max(0, line.count / 2 - 12))
            return [Data(value.utf8), Data(String(line[start...].prefix(24)).utf8)]
        }
        return await botOutputs().filter { _, data in needles.contains { data.range(of: $0) != nil } }.map(\.key).sorted()
    }
}
