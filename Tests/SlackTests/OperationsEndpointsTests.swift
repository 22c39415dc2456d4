import AegisApp
import AegisSlackTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlackFake
import Testing

/// SPEC §7: `/healthz`, `/readyz` and `/metrics` of the real bot, over HTTP on 127.0.0.1, while
/// it runs against the Slack fake: readiness follows the socket, and the metrics move with a
/// rotation, a 429 and envelopes acked.
@Suite("operations endpoints: /healthz, /readyz, /metrics", .serialized, .timeLimit(.minutes(2)))
struct OperationsEndpointsTests {
    static func get(_ port: Int, _ path: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// The value of the sample `name{labels}` in a Prometheus text exposition, 0 when absent.
    static func sample(_ text: String, _ name: String, _ labels: String = "") -> Double {
        let prefix = labels.isEmpty ? "\(name) " : "\(name){\(labels)} "
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            return Double(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    @Test("live, ready while connected, not ready without a socket; metrics count the rotation, acks and 429s")
    func endpoints() async throws {
        _ = SlackBot.bootstrapMetrics()
        let harness = try await SlackHarness.start()
        do {
            try await harness.fake.waitUntil("the operations port") { _ in harness.bot.operationsPort.value != nil }
            let port = try #require(harness.bot.operationsPort.value)
            #expect(try await Self.get(port, "/healthz") == (200, "ok\n"))
            #expect(try await Self.get(port, "/readyz") == (200, "ready\n"))

            let before = try await Self.get(port, "/metrics").body
            await harness.fake.rateLimit("chat.postMessage", times: 1, retryAfter: 1)
            let request = try await harness.requestAndApprove("jwt metrics test")
            try await harness.waitForThread(request, containing: "🎉 R-1 completed", timeout: .seconds(90))

            let metrics = try await Self.get(port, "/metrics")
            #expect(metrics.status == 200)
            let after = metrics.body
            let completed = #"secret="jwt-signing-key",outcome="completed""#
            // The metrics system is one per process and other suites run bots in parallel: this test
            // proves its own contribution (at least one more), not that nobody else counted.
            #expect(Self.sample(after, "aegis_rotations_total", completed) >= Self.sample(before, "aegis_rotations_total", completed) + 1)
            #expect(Self.sample(after, "aegis_step_duration_seconds_count", #"step="generate",outcome="done""#)
                    > Self.sample(before, "aegis_step_duration_seconds_count", #"step="generate",outcome="done""#))
            #expect(Self.sample(after, "aegis_slack_ack_latency_seconds_count") >= Self.sample(before, "aegis_slack_ack_latency_seconds_count") + 2,
                    "the slash command and the click were acked")
            let limited = #"method="chat.postMessage",outcome="rate_limited""#
            #expect(Self.sample(after, "aegis_slack_api_calls_total", limited) >= Self.sample(before, "aegis_slack_api_calls_total", limited) + 1)
            #expect(Self.sample(after, "aegis_slack_api_calls_total", #"method="chat.postMessage",outcome="ok""#) > 0)
            #expect(Self.sample(after, "aegis_slack_connections") >= 1)
            // The outbox's queue length is exported (its value is shared with the other bots of this process).
            #expect(after.contains("# TYPE aegis_slack_outbox_pending gauge"))

            // No socket: not ready, with the reason; the reconnect is counted once it connects again.
            await harness.fake.failConnectionsOpen(times: 1_000)
            await harness.fake.dropSockets()
            try await harness.fake.waitUntil("readyz to fail") { _ in (try? await Self.get(port, "/readyz").status) == 503 }
            #expect(try await Self.get(port, "/readyz").body == "no Slack socket is connected\n")
            await harness.fake.failConnectionsOpen(times: 0)
            try await harness.fake.waitUntil("readyz to recover") { _ in (try? await Self.get(port, "/readyz").status) == 200 }
            #expect(Self.sample(try await Self.get(port, "/metrics").body, "aegis_slack_reconnects_total")
                    > Self.sample(after, "aegis_slack_reconnects_total"))
        } catch {
            try? await harness.stop()
            throw error
        }
        try await harness.stop()
    }

    @Test("AEGIS_OPS_ADDRESS: host:port, off, and a clear error otherwise")
    func addressSetting() throws {
        #expect(try OperationsEndpoints.address(nil) == .init(host: "127.0.0.1", port: 8080))
        #expect(try OperationsEndpoints.address("0.0.0.0:9090") == .init(host: "0.0.0.0", port: 9090))
        #expect(try OperationsEndpoints.address("off") == nil)
        #expect(throws: AegisConfiguration.Problem.self) { try OperationsEndpoints.address("8080") }
        #expect(throws: AegisConfiguration.Problem.self) { try OperationsEndpoints.address("localhost:http") }
    }
}
