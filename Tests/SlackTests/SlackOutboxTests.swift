import AegisChat
import AegisCore
import AegisSlack
import AegisSlackTestSupport
import AsyncHTTPClient
import Logging
import ServiceLifecycle
import SlackFake
import SlackWebAPI
import Synchronization
import Testing

/// The outbox against the Slack fake: a 429 holds only its channel, superseded checklist states
/// are never sent, what Slack refuses for good and what shutdown cuts off is reported, never
/// silently dropped.
@Suite("Slack outbox: pacing, holds, losses")
struct SlackOutboxTests {
    final class Losses: Sendable {
        let recorded = Mutex<[OutboxLoss]>([])
        var all: [OutboxLoss] { recorded.withLock { $0 } }
    }

    /// An outbox on the fake, run in a service group the body can shut down; returns after the group ended.
    static func withOutbox(flushLimit: Duration = .seconds(2),
                           _ body: @Sendable (SlackFake, SlackOutbox, Losses, ServiceGroup) async throws -> Void) async throws {
        let fake = try await SlackHarness.startWorkspace()
        let logger = Logger(label: "outbox-test") { _ in SwiftLogNoOpLogHandler() }
        let web = SlackWebClient(http: .shared, baseURL: fake.apiURL, token: SecretValue(utf8: "xoxb-test-token"), logger: logger)
        let outbox = SlackOutbox(inner: SlackTransport(api: web.reportingRateLimits(), channels: SlackChannelDirectory(api: web)),
                                 pacing: .scaled(postInterval: .milliseconds(50)), flushLimit: flushLimit, logger: logger)
        let losses = Losses()
        await outbox.setLossHandler { loss in losses.recorded.withLock { $0.append(loss) } }
        let group = ServiceGroup(configuration: .init(services: [.init(service: outbox)], logger: logger))
        let runner = Task { try await group.run() }
        do {
            try await body(fake, outbox, losses, group)
            await group.triggerGracefulShutdown()
            try await withDeadline(.seconds(10), "the outbox to end after graceful shutdown") { try await runner.value }
        } catch {
            await group.triggerGracefulShutdown()
            runner.cancel()
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    @Test("a 429 holds only the channel it concerns; the held message lands after Retry-After")
    func aRateLimitHoldsOneChannel() async throws {
        try await Self.withOutbox { fake, outbox, losses, _ in
            await fake.rateLimit("chat.postMessage", times: 1, retryAfter: 2)
            try await outbox.post(.plain("for ops"), channel: People.ops, thread: nil)
            try await fake.waitUntil("the first post to be refused with 429") { await $0.rateLimitedCount["chat.postMessage"] == 1 }
            try await outbox.post(.plain("for platform-support"), channel: People.platformSupport, thread: nil)
            _ = try await fake.waitForMessage("the ops message after Retry-After") { $0.text == "for ops" }
            let texts = await fake.messages.map(\.text)
            #expect(texts == ["for platform-support", "for ops"], "the other channel was not held: \(texts)")
            #expect(losses.all.isEmpty)
        }
    }

    @Test("updates waiting together become one update with the latest state; thread lines keep their order")
    func supersededStatesAreNeverSent() async throws {
        try await Self.withOutbox { fake, outbox, _, _ in
            // The first post is held by a 429, so every update below waits for it together.
            await fake.rateLimit("chat.postMessage", times: 1, retryAfter: 1)
            let ref = try await outbox.post(.plain("state 0"), channel: People.ops, thread: nil)
            for state in 1...20 {
                try await outbox.update(.plain("state \(state)"), channel: People.ops, messageRef: ref)
                try await outbox.post(.plain("line \(state)"), channel: People.ops, thread: ref)
            }
            try await fake.waitUntil("the last state and the last line") { fake in await Self.showsLastStateAndLine(fake) }
            let messages = await fake.messages
            let parents = messages.filter { $0.threadTS == nil }
            #expect(parents.count == 1)
            let parent = try #require(parents.first)
            #expect(parent.updates == 1, "superseded states were sent: \(parent.updates) updates")
            let thread = messages.filter { $0.threadTS == parent.ts }.map(\.text).joined(separator: "\n")
            #expect(thread == (1...20).map { "line \($0)" }.joined(separator: "\n"))
        }
    }

    static func showsLastStateAndLine(_ fake: SlackFake) async -> Bool {
        let messages = await fake.messages
        return messages.contains { $0.text == "state 20" } && messages.contains { $0.text.contains("line 20") }
    }

    @Test("a message Slack refuses for good is reported as a loss; the lane goes on")
    func aRefusedMessageIsReported() async throws {
        try await Self.withOutbox { fake, outbox, losses, _ in
            try await outbox.post(.plain("to a channel that does not exist"), channel: "C0NOWHERE1", thread: nil)
            try await outbox.post(.plain("after the refused one"), channel: People.ops, thread: nil)
            _ = try await fake.waitForMessage("the next message") { $0.text == "after the refused one" }
            try await fake.waitUntil("the loss report") { _ in !losses.all.isEmpty }
            let loss = try #require(losses.all.first)
            #expect(loss.reason == .refused && loss.channel == "C0NOWHERE1" && loss.posts == 1)
            #expect(loss.problem?.contains("channel_not_found") == true)
        }
    }

    @Test("shutdown flushes what it can within its limit and reports the rest")
    func shutdownReportsWhatIsLeft() async throws {
        try await Self.withOutbox(flushLimit: .milliseconds(300)) { fake, outbox, losses, group in
            await fake.rateLimit("chat.postMessage", times: 1, retryAfter: 30)
            try await outbox.post(.plain("held for 30 s"), channel: People.ops, thread: nil)
            try await fake.waitUntil("the post to be refused with 429") { await $0.rateLimitedCount["chat.postMessage"] == 1 }
            try await outbox.post(.plain("free channel"), channel: People.platformSupport, thread: nil)
            _ = try await fake.waitForMessage("the free channel's message") { $0.text == "free channel" }
            await group.triggerGracefulShutdown()
            try await fake.waitUntil(timeout: .seconds(10), "the loss report") { _ in !losses.all.isEmpty }
            #expect(losses.all == [OutboxLoss(reason: .shutdown, channel: People.ops, posts: 1, updates: 0, problem: nil)])
            #expect(await fake.messages.map(\.text) == ["free channel"])
        }
    }
}
