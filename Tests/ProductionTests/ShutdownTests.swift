import AegisAWS
import AegisCore
import AegisSlackTestSupport
import AegisTestServers
import Foundation
import KubernetesFake
import SlackFake
import Testing

/// SIGTERM ends the real `aegis-rotate bot` and `aegis-rotate shell` (status 0) within 10 s
/// whatever they are doing: idle, reconnecting to an unreachable Slack, stuck in an AWS or
/// Kubernetes call that never answers, or waiting out a 20 s rollout. A rotation cut short is
/// left as a crash would leave it, and the next start finishes it with the store, the configmap
/// and the deployment in agreement.
@Suite("shutdown: SIGTERM ends the bot and the shell within 10 s", .productionWorld, .serialized, .timeLimit(.minutes(5)))
struct ShutdownTests {
    static let limit: Duration = .seconds(10)

    @Test("bot, idle and connected")
    func botIdle() async throws {
        try await Scenario.with { scenario in
            let fake = try await SlackHarness.startWorkspace()
            let bot = try scenario.startBot(fake)
            try await waitUntil("the bot's socket", timeout: .seconds(90)) { await fake.openSockets == 1 }
            try await expectStopsInTime(bot, "idle and connected")
            await fake.stop()
        }
    }

    @Test("bot, reconnecting while Slack is unreachable")
    func botReconnecting() async throws {
        try await Scenario.with { scenario in
            let fake = try await SlackHarness.startWorkspace()
            let bot = try scenario.startBot(fake)
            try await waitUntil("the bot's socket", timeout: .seconds(90)) { await fake.openSockets == 1 }
            // Slack stops handing out sockets, drops the live one, and then goes away altogether.
            await fake.failConnectionsOpen(times: 1_000)
            let opened = await fake.calls.filter { $0.method == "apps.connections.open" }.count
            await fake.dropSockets()
            try await waitUntil("the bot to retry connecting", timeout: .seconds(90)) {
                await fake.calls.filter { $0.method == "apps.connections.open" }.count >= opened + 2
            }
            await fake.stop()
            try await Task.sleep(for: .seconds(1))
            try await expectStopsInTime(bot, "reconnecting to an unreachable Slack")
        }
    }

    enum Hang: String, CaseIterable, Sendable {
        case aws, kubernetes
    }

    @Test("bot, stuck in a provider call that never answers; the restarted bot finishes the rotation", arguments: Hang.allCases)
    func botProviderHangs(_ hang: Hang) async throws {
        try await Scenario.with { scenario in
            let silent = try await SilentServer.start()
            let fake = try await SlackHarness.startWorkspace()
            var stuck = ["AEGIS_PROVIDER_TIMEOUT": "5m"]
            switch hang {
            case .aws: stuck["AWS_ENDPOINT_URL"] = silent.url
            case .kubernetes:
                let kubeconfig = scenario.workspace.folder.appendingPathComponent("kubeconfig-silent")
                try KubernetesFake.kubeconfig(server: silent.url, token: scenario.kubeToken).write(to: kubeconfig, atomically: true, encoding: .utf8)
                stuck["KUBECONFIG"] = kubeconfig.path
            }
            let bot = try scenario.startBot(fake, stuck)
            try await waitUntil("the bot's socket", timeout: .seconds(90)) { await fake.openSockets == 1 }
            try await requestAndApprove(fake, "jwt shutdown test")
            try await waitUntil("a \(hang.rawValue) call stuck in the silent server", timeout: .seconds(90)) { silent.connections > 0 }
            try await expectStopsInTime(bot, "stuck in a \(hang.rawValue) call")
            await silent.stop()

            try await scenario.finishAfterRestart(fake)
            await fake.stop()
        }
    }

    @Test("bot, in the middle of a 20 s rollout; the restarted bot finishes the rotation")
    func botMidRollout() async throws {
        try await Scenario.with { scenario in
            await scenario.kube.setRolloutDuration(.seconds(20))
            let fake = try await SlackHarness.startWorkspace()
            let bot = try scenario.startBot(fake)
            try await waitUntil("the bot's socket", timeout: .seconds(90)) { await fake.openSockets == 1 }
            try await requestAndApprove(fake, "jwt shutdown test")
            try await waitUntil("the rollout restart", timeout: .seconds(90)) { await scenario.restartCount() == 1 }
            try await expectStopsInTime(bot, "waiting for a 20 s rollout")

            await scenario.kube.setRolloutDuration(.milliseconds(300))
            try await scenario.finishAfterRestart(fake)
            await fake.stop()
        }
    }

    @Test("shell, idle at its prompt")
    func shellIdle() async throws {
        try await Scenario.with { scenario in
            let shell = try scenario.shell()
            try await shell.waitForOutput("Type /help.")
            try await expectStopsInTime(shell, "idle at the prompt")
        }
    }

    @Test("shell, in the middle of a 20 s rollout; the next shell finishes the rotation")
    func shellMidRollout() async throws {
        try await Scenario.with { scenario in
            await scenario.kube.setRolloutDuration(.seconds(20))
            try await scenario.requestAsOperator("/rotate jwt shutdown test")
            let shell = try scenario.shell()
            shell.send("approve R-1")
            try await waitUntil("the rollout restart", timeout: .seconds(90)) { await scenario.restartCount() == 1 }
            try await expectStopsInTime(shell, "waiting for a 20 s rollout")
            let status = try await scenario.status()
            #expect(status.hasSuffix(": running"), "the interrupted rotation is not left running: \(status)")

            await scenario.kube.setRolloutDuration(.milliseconds(300))
            let next = try scenario.shell()
            next.closeInput()
            #expect(try await next.waitForExit(timeout: .seconds(60)) == 0, "\(next.outputTail)")
            try await scenario.expectJWTRotationFinished(outputs: [shell.stdout, shell.stderr, next.stdout, next.stderr])
        }
    }

    // MARK: - Helpers

    /// SIGTERM, then the exit status and how long it took.
    func expectStopsInTime(_ process: TestProcess, _ situation: String) async throws {
        let start = ContinuousClock.now
        process.signal(SIGTERM)
        let status = try await process.waitForExit(timeout: .seconds(60))
        let took = ContinuousClock.now - start
        print("shutdown: \(process.name) exited \(status) \(took) after SIGTERM while \(situation)")
        #expect(status == 0, "exit status \(status) after SIGTERM while \(situation)\n\(process.outputTail)")
        #expect(took < Self.limit, "took \(took) to exit after SIGTERM while \(situation)")
    }

    func requestAndApprove(_ fake: SlackFake, _ text: String) async throws {
        _ = try await fake.slashCommand(user: People.alice, channel: People.ops, text: text)
        let request = try await fake.waitForMessage("request message R-1") {
            $0.channel == People.ops && $0.threadTS == nil && $0.text.contains("Rotation R-1 ")
        }
        _ = try await fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-1")
    }
}

extension Scenario {
    var botLogFile: URL { workspace.folder.appendingPathComponent("bot.log") }
    var botLog: String { (try? String(contentsOf: botLogFile, encoding: .utf8)) ?? "" }

    /// The real `aegis-rotate bot` against `fake`, in production mode against this scenario.
    func startBot(_ fake: SlackFake, _ extra: [String: String] = [:]) throws -> TestProcess {
        var environment = [
            "SLACK_APP_TOKEN": "xapp-1-A0AEGIS-test", "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": fake.apiURL,
            "AEGIS_OPS_ADDRESS": "off", "AEGIS_LOG_FILE": botLogFile.path,
        ]
        for (key, value) in extra { environment[key] = value }
        return try workspace.start(["bot"], environment: self.environment(environment))
    }

    /// Starts the bot again on the same state: it resumes the interrupted rotation, which must
    /// complete with the store, the configmap and the deployment in agreement.
    func finishAfterRestart(_ fake: SlackFake) async throws {
        let bot = try startBot(fake)
        try await waitUntil("R-1 to complete after the restart", timeout: .seconds(60)) {
            await fake.messages.contains { $0.allText.contains("🎉 R-1 completed") }
        }
        bot.signal(SIGTERM)
        #expect(try await bot.waitForExit(timeout: .seconds(45)) == 0, "\(bot.outputTail)")
        let transcript = await fake.transcript
        try await expectJWTRotationFinished(outputs: [bot.stdout, bot.stderr, botLog, transcript])
    }

    /// JWT rotated once: AWSCURRENT new, AWSPREVIOUS old, nothing pending; the configmap signs with
    /// the new key and verifies the old; one more rollout finished; audit intact; no value leaked.
    func expectJWTRotationFinished(outputs: [String]) async throws {
        let secret = "jwt-signing-key"
        let status = try await status()
        #expect(status.hasSuffix(": completed"), "status: \(status)")
        let old = try #require(initialVersions[secret])
        let current = try #require(try await version(secret, .current))
        #expect(current != old)
        #expect(try await version(secret, .previous) == old)
        let pending = try await store.versions(secret: try definition(secret).storage).filter { $0.stages.contains(.pending) }
        #expect(pending.isEmpty, "stray AWSPENDING: \(pending.map(\.versionID))")
        let config = await configMap()
        #expect(config["jwt.signing_key_id"] == current)
        #expect(config["jwt.signing_key"] == (try await value(secret, current)))
        #expect(config["jwt.previous_signing_key_id"] == old)
        let deployment = await kube.deployment(name: Self.location.deployment)
        #expect(deployment?.rolloutFinished == true, "the deployment's rollout did not finish: \(String(describing: deployment))")
        let audit = try await workspace.run(["audit", "verify"], environment: environment())
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        let leaks = LeakScanner.leaks(of: try await allSecretValues() + operatorCredentials,
                                      in: LeakScanner.haystacks(workspace, outputs: outputs))
        #expect(leaks.isEmpty, "secret values in: \(leaks)")
    }
}
