import AegisSlackTestSupport
import AegisTestServers
import Foundation
import SlackFake

/// Runs the real Slack bot (`SlackBot.build`, through the in-repo Slack fake) in production mode
/// against a scenario: the scenario's environment and Commands folder, the bot's state store and
/// log in the harness's own folder.
extension Scenario {
    /// Starts the bot, runs `body`, then stops the bot (before the scenario's servers go away) and
    /// removes its folder, whether `body` passed or threw.
    func withSlackBot<T>(_ extra: [String: String] = [:], _ body: (SlackHarness) async throws -> T) async throws -> T {
        try await SlackHarness.with(environment: environment(extra), commandsDirectory: workspace.folder.appendingPathComponent("Commands"), body)
    }
}

extension Scenario {
    /// `/rotate <text>` by alice in #ops, approved by carol (#security-ops), then waits until the
    /// request's thread has the run's final line; returns the request message if that line says
    /// `R-1 completed`, else throws with the thread (secret values redacted).
    func rotateInSlack(_ harness: SlackHarness, _ text: String, timeout: Duration = .seconds(120)) async throws -> FakeMessage {
        let request = try await harness.requestAndApprove(text)
        let ends = ["🎉 R-1 completed", "↺ R-1 rolled back", "‼️ R-1 FAILED"]
        try await harness.fake.waitUntil(timeout: timeout, "the final line of R-1") { fake in
            await fake.messages.contains { message in message.threadTS == request.ts && ends.contains { message.allText.contains($0) } }
        }
        var thread = await harness.threadText(request)
        guard !thread.contains(ends[0]) else { return request }
        for value in try await allSecretValues() { thread = thread.replacingOccurrences(of: value, with: "<redacted>") }
        throw ServerError("R-1 did not complete; its thread:\n\(thread)")
    }
}
