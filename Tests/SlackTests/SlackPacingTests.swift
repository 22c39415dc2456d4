import AegisSlackTestSupport
import AegisTestServers
import Foundation
import SlackFake
import SlackWebAPI
import Testing

/// Ten rotations started together in one channel, against a Slack fake that enforces Slack's
/// limits (scaled: one post per channel every 100 ms instead of every second, the bot's pacing
/// scaled the same way with `AEGIS_SLACK_PACE`).
@Suite("Slack pacing: ten rotations in one channel stay within Slack's limits")
struct SlackPacingTests {
    static let rotations = 10
    static let pace = Duration.milliseconds(100)

    /// Ten copies of the JWT secret, each with its own store entry and configmap.
    static func commands() throws -> [String: String] {
        try GeneratedCommands.jwtCopies(1...rotations, id: { "load-jwt-\($0)" }, aliases: { ["load\($0)"] })
    }

    @Test("0 429s, every thread complete and in order, final states right, calls per second per channel within the limits")
    func tenRotationsInOneChannel() async throws {
        try await SlackHarness.with(environment: ["AEGIS_SLACK_PACE": "100ms"], commands: try Self.commands()) { harness in
            let fake = harness.fake
            await fake.enforceLimits(.slack(postInterval: Self.pace))
            let ids = (1...Self.rotations).map { "R-\($0)" }
            for n in 1...Self.rotations {
                try await fake.slashCommand(user: People.alice, channel: People.ops, text: "load\(n) load test")
            }
            var requests: [FakeMessage] = []
            for id in ids {
                let request = try await harness.requestMessage(id)
                requests.append(request)
                try await fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: id)
            }
            for (id, request) in zip(ids, requests) {
                try await harness.waitForThread(request, containing: "\(id) completed", timeout: .seconds(120))
                try await fake.waitUntil(timeout: .seconds(30), "\(id)'s checklist in its final state") { _ in
                    let current = await harness.current(request)
                    return current.allText.contains("✓ 6/6") && current.buttons.isEmpty
                }
            }

            let rateLimited = await fake.rateLimitedCount
            #expect(rateLimited.values.reduce(0, +) == 0, "429s: \(rateLimited)")
            for (id, request) in zip(ids, requests) {
                let thread = await harness.threadText(request)
                // The verification message comes before step 4's line (`verify`), which is posted when it ended.
                let steps = (1...6).map { "Step \($0)/6" }
                let expected = ["Approved by"] + steps[0..<3] + ["Verification after rotation (\(id)): passed"] + steps[3...] + ["\(id) completed"]
                let positions = expected.map { thread.range(of: $0)?.lowerBound }
                #expect(!positions.contains(nil), "\(id)'s thread lacks \(zip(expected, positions).filter { $0.1 == nil }.map(\.0))")
                let found = positions.compactMap { $0 }
                #expect(found == found.sorted(), "\(id)'s thread is out of order:\n\(thread)")
            }

            let calls = await fake.calls
            let posts = calls.filter { $0.method == "chat.postMessage" }
            let updates = calls.filter { $0.method == "chat.update" }
            let opsPosts = posts.filter { $0.body["channel"]?.string == People.ops }.map(\.at)
            let limits = SlackFakeLimits.slack(postInterval: Self.pace)
            // In any window of one post interval at most the burst plus one; over a second at most
            // the burst plus a second's worth.
            #expect(Self.busiestWindow(opsPosts, .seconds(1)) <= limits.postBurst + 10)
            #expect(Self.busiestWindow(updates.map(\.at), limits.updateInterval * 10) <= limits.updateBurst + 10)
            let perRotation = Double(posts.count + updates.count) / Double(Self.rotations)
            print("slack pacing: \(Self.rotations) rotations in one channel: \(posts.count) chat.postMessage + \(updates.count) chat.update "
                  + "= \(String(format: "%.1f", perRotation)) calls per rotation; busiest second in #ops: \(Self.busiestWindow(opsPosts, .seconds(1))) posts")
            #expect(perRotation < 22, "calls per rotation \(perRotation); 22 before the outbox")

            let leaks = await harness.leaks(of: try await harness.sandboxSecrets())
            #expect(leaks.isEmpty, "secret values in: \(leaks)")
        }
    }

    /// The most calls in any window of `width`.
    static func busiestWindow(_ times: [ContinuousClock.Instant], _ width: Duration) -> Int {
        let sorted = times.sorted()
        var best = 0
        var start = 0
        for end in sorted.indices {
            while sorted[end] - sorted[start] >= width { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }
}
