import AegisSlackTestSupport
import Foundation
import SlackFake
import SlackWebAPI
import Testing

/// Proves the fake speaks Slack's real protocol: Python's official `slack_sdk` (`WebClient` with
/// `base_url`, the built-in `SocketModeClient`) connects, paginates, receives, acks, posts, and
/// survives a `refresh_requested` disconnect against it.
@Suite("The Slack fake against Python's official slack_sdk")
struct SlackSDKProofTests {
    @Test func slackSDKDrivesTheFake() async throws {
        let fake = try await SlackFake.start()
        defer { Task { await fake.stop() } }
        await fake.addUser("U0PYTHON1", name: "python")
        await fake.addChannel("C0OPS0001", name: "ops", members: ["U0PYTHON1"])
        await fake.addChannel("C0SECOPS1", name: "security-ops", members: ["U1", "U2", "U3", "U4", "U5"])
        await fake.setPageSize(2)
        let script = repositoryRoot.appendingPathComponent("Tests/SlackTests/python/slack_sdk_proof.py")
        let python = try PythonProcess(arguments: [script.path, fake.apiURL])
        defer { python.terminate() }

        try await python.waitFor("MEMBERS 5")
        try await python.waitFor("\nCONNECTED\n")
        let first = try await fake.slashCommand(user: "U0PYTHON1", channel: "C0OPS0001", text: "first")
        #expect(try await fake.waitForAck(first).latency < .seconds(3))
        try await python.waitFor("ENVELOPE slash_commands first")
        try await python.waitFor("POSTED 1700000000.")
        #expect(await fake.messages.contains { $0.text == "python saw: first" })

        await fake.disconnect(reason: "refresh_requested")
        try await fake.waitUntil("slack_sdk reconnects") { await $0.connectionsOpened >= 2 }
        try await fake.waitUntil("one socket again") { await $0.openSockets == 1 }
        let second = try await fake.slashCommand(user: "U0PYTHON1", channel: "C0OPS0001", text: "quit")
        _ = try await fake.waitForAck(second)
        try await python.waitFor("ENVELOPE slash_commands quit")
        try await python.waitFor("DONE")
        #expect(try python.waitForExit() == 0)
        let methods = Set(await fake.calls.map(\.method))
        #expect(methods.isSuperset(of: ["auth.test", "conversations.members", "apps.connections.open", "chat.postMessage"]))
        #expect(await fake.calls.filter { $0.method == "apps.connections.open" }.allSatisfy { $0.tokenKind == "xapp" })
    }
}

/// A `python3` child process whose standard output is read line by line.
final class PythonProcess: Sendable {
    let process = Process()
    let output = OutputBuffer()

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in output.append(handle.availableData) }
        try process.run()
    }

    func waitFor(_ text: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.text.contains(text) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SlackFakeError.timeout("'\(text)' from python; it printed:\n\(output.text)")
    }

    func waitForExit() throws -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    func terminate() { if process.isRunning { process.terminate() } }
}

final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}
