import AegisApp
import AegisCore
import AegisSlackTestSupport
import Foundation
import SlackFake
@testable import SlackSocketMode
import SlackWebAPI
import Testing

@Suite("Socket Mode: redelivery, refresh, drops, 429s, link_disabled", .serialized)
struct SocketModeResilienceTests {
    @Test("a lost ack is redelivered by Slack and handled once; a redelivered trigger too")
    func redelivery() async throws {
        try await SlackHarness.with(redeliverAfter: .seconds(1)) { harness in
            let fake = harness.fake
            await fake.loseAcks(1)
            let envelope = try await fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt")
            _ = try await fake.waitForAck(envelope, timeout: .seconds(30))
            #expect(await fake.transcript.contains("\"retry_attempt\":1"))
            _ = try await harness.requestMessage("R-1")

            let payload: JSONValue = ["user_id": .string(People.bob), "channel_id": .string(People.ops), "command": "/rotate",
                                      "text": "dev-jwt", "trigger_id": "4242.4242"]
            let one = try await fake.sendEnvelope(type: "slash_commands", payload: payload, acceptsResponsePayload: true)
            let two = try await fake.sendEnvelope(type: "slash_commands", payload: payload, acceptsResponsePayload: true)
            _ = try await fake.waitForAck(one)
            _ = try await fake.waitForAck(two)
            _ = try await fake.waitForMessage("R-2") { $0.text.contains("Rotation R-2 ") }
            try await Task.sleep(for: .milliseconds(500))
            #expect(await harness.messages(in: People.ops).filter { $0.text.hasPrefix("Rotation R-") }.count == 2)
            #expect(await fake.ephemerals.filter { $0.text.contains("already has an open rotation") }.isEmpty)
            #expect(harness.bot.socket.stats.duplicatesIgnored >= 2, "the lost ack's redelivery and the repeated trigger")
        }
    }

    @Test("refresh_requested mid-rotation: new connection first, envelopes during the switch acked, rotation finishes")
    func refreshDuringRotation() async throws {
        try await SlackHarness.with(environment: ["AEGIS_LOCAL_RESTART_COMMAND": "sleep 1"]) { harness in
            let fake = harness.fake
            let request = try await harness.requestAndApprove("jwt")
            try await harness.waitForThread(request, containing: "Step 2/6")
            await fake.disconnect(reason: "refresh_requested")
            var during: [String] = []
            for _ in 0..<5 {
                during.append(try await fake.slashCommand(user: People.bob, channel: People.ops, text: "status"))
                try await Task.sleep(for: .milliseconds(30))
            }
            try await fake.waitUntil("a second connection") { await $0.connectionsOpened == 2 }
            try await fake.waitUntil("old socket closed") { await $0.openSockets == 1 }
            for id in during { _ = try await fake.waitForAck(id) }
            try await fake.waitUntil("5 status answers") { fake in await fake.ephemerals.filter { $0.user == People.bob }.count == 5 }
            try await harness.waitForThread(request, containing: "R-1 completed", timeout: .seconds(90))
            #expect(harness.bot.socket.stats.connected == 1)
        }
    }

    @Test("a dropped socket reconnects with backoff; failing apps.connections.open is retried")
    func droppedSocket() async throws {
        try await SlackHarness.with() { harness in
            let fake = harness.fake
            await fake.failConnectionsOpen(times: 3)
            await fake.dropSockets()
            try await fake.waitUntil(timeout: .seconds(60), "reconnected") { fake in
                let open = await fake.openSockets
                let opened = await fake.connectionsOpened
                return open == 1 && opened == 2
            }
            let opens = await fake.calls.filter { $0.method == "apps.connections.open" }.count
            #expect(opens == 5)
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "list")
            try await harness.waitForEphemeral(People.alice, containing: "jwt-signing-key")
            #expect(harness.bot.socket.stats.reconnects >= 1)
        }
    }

    @Test("429 with Retry-After on chat.postMessage and chat.update: delivered after the wait")
    func rateLimits() async throws {
        try await SlackHarness.with() { harness in
            let fake = harness.fake
            await fake.rateLimit("chat.postMessage", times: 1, retryAfter: 1)
            let started = ContinuousClock.now
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt")
            let request = try await harness.requestMessage("R-1")
            #expect(ContinuousClock.now - started >= .seconds(1))
            await fake.rateLimit("chat.update", times: 2, retryAfter: 1)
            try await fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-1")
            try await harness.waitForThread(request, containing: "R-1 completed")
            try await fake.waitUntil("final checklist") { fake in
                await fake.messages.first { $0.ts == request.ts }?.allText.contains("✓ 6/6") == true
            }
            #expect(await fake.rateLimitedCount == ["chat.postMessage": 1, "chat.update": 2])
        }
    }

    @Test("link_disabled stops the bot with a clear error")
    func linkDisabled() async throws {
        let harness = try await SlackHarness.start()
        await harness.fake.disconnect(reason: "link_disabled")
        let runner = harness.runner
        let result = try await withDeadline(.seconds(10), "the bot to stop after link_disabled") { await runner.result }
        await harness.fake.stop()
        guard case .failure(let error) = result else { Issue.record("the bot kept running"); return }
        #expect("\(error)".contains("link_disabled"))
    }

    @Test("backoff grows, is capped and jittered")
    func backoff() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(2))
        let waits = (0..<10).map { _ in backoff.next() }
        #expect(waits.allSatisfy { $0 <= .seconds(2) && $0 >= .milliseconds(1) })
        #expect(waits[6...].contains { $0 > .milliseconds(400) })
        backoff.reset()
        #expect(backoff.next() <= .milliseconds(100))
    }
}

@Suite("Socket Mode: liveness, several connections, escalation", .serialized)
struct SocketModeLivenessTests {
    @Test("a half-open socket (no pongs, no FIN) is found by ping within seconds and replaced")
    func frozenSocket() async throws {
        try await SlackHarness.with() { harness in
            let fake = harness.fake
            // Without the bot's own pings and idle watchdog (5 s here) a frozen socket is never
            // replaced; the deadline leaves room for a loaded machine (no timing is asserted).
            await fake.freezeSockets()
            try await fake.waitUntil(timeout: .seconds(75), "a new connection after the freeze") { fake in
                let opened = await fake.connectionsOpened
                let open = await fake.openSockets
                return opened == 2 && open == 1
            }
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "help")
            try await harness.waitForEphemeral(People.alice, containing: "/rotate list")
        }
    }

    @Test("two connections: Slack spreads envelopes across them; every one is acked and handled once")
    func twoConnections() async throws {
        try await SlackHarness.with(environment: ["AEGIS_SOCKET_CONNECTIONS": "2"], connections: 2) { harness in
            let fake = harness.fake
            try await fake.waitUntil("two sockets") { await $0.openSockets == 2 }
            var ids: [String] = []
            for _ in 0..<6 { ids.append(try await fake.slashCommand(user: People.bob, channel: People.ops, text: "status")) }
            for id in ids { _ = try await fake.waitForAck(id) }
            try await fake.waitUntil("six answers") { fake in await fake.ephemerals.filter { $0.user == People.bob }.count == 6 }
            #expect(harness.bot.socket.stats.connected == 2)
        }
    }

    @Test("Events API envelopes are acked and dropped on the read path; a command among them still reaches its handler")
    func eventsAreDroppedOnTheReadPath() async throws {
        try await SlackHarness.with { harness in
            let fake = harness.fake
            var events: [String] = []
            for n in 0..<20 {
                let payload: JSONValue = ["event_id": .string("Ev\(n)"), "type": "event_callback",
                                          "event": ["type": "app_mention", "text": "hi", "user": .string(People.bob)]]
                events.append(try await fake.sendEnvelope(type: "events_api", payload: payload, acceptsResponsePayload: false))
            }
            let command = try await fake.slashCommand(user: People.bob, channel: People.ops, text: "status")
            for id in events + [command] { _ = try await fake.waitForAck(id) }
            try await fake.waitUntil("the status answer") { fake in await fake.ephemerals.contains { $0.user == People.bob } }
            #expect(harness.bot.socket.stats.acks >= 21)
            #expect(harness.bot.socket.stats.handedOff == 1, "only the command got a handler task")
        }
    }

    @Test("a failed rotation rolls back and escalates to #platform-support with what failed and what was restored")
    func escalation() async throws {
        let flag = FileManager.default.temporaryDirectory.appendingPathComponent("fail-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: flag.path, contents: Data())
        try await SlackHarness.with(environment: [
            "AEGIS_LOCAL_RESTART_COMMAND": "if [ -e \(flag.path) ]; then rm \(flag.path); exit 1; fi"]) { harness in
            let fake = harness.fake
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt")
            let request = try await harness.requestMessage("R-1")
            try await fake.click(user: People.dave, channel: People.ops, message: request, actionID: "approve", value: "R-1")
            let escalation = try await fake.waitForMessage("escalation") { $0.channel == People.platformSupport }
            #expect(escalation.allText.contains("R-1 (jwt-signing-key) needs attention"))
            #expect(escalation.allText.contains("step 'restart' failed"))
            #expect(escalation.allText.contains("jwt.signing_key = version"))
            #expect(escalation.allText.contains("Page the platform on-call"))
            try await harness.waitForThread(request, containing: "Verification after rollback (R-1): passed")
            try await harness.waitForThread(request, containing: "R-1 rolled back")
            let leaks = await harness.leaks(of: try await harness.sandboxSecrets())
            #expect(leaks.isEmpty, "secret values in: \(leaks)")
        }
    }
}

@Suite("Envelope deduplication")
struct EnvelopeDeduplicationTests {
    func envelope(_ id: String, trigger: String? = nil) -> SocketModeEnvelope {
        SocketModeEnvelope(envelopeID: id, type: "slash_commands", payload: trigger.map { ["trigger_id": .string($0)] } ?? [:],
                           acceptsResponsePayload: true, retryAttempt: 0, retryReason: nil)
    }

    @Test("same envelope or same trigger is a duplicate; entries expire; capacity bounds memory")
    func deduplication() async throws {
        let short = EnvelopeDeduplicator(lifetime: .milliseconds(100), capacity: 1_000)
        #expect(short.isNew(envelope("e1", trigger: "t1")))
        #expect(!short.isNew(envelope("e1")))
        #expect(!short.isNew(envelope("e2", trigger: "t1")))
        try await Task.sleep(for: .milliseconds(150))
        #expect(short.isNew(envelope("e1", trigger: "t1")))
        let small = EnvelopeDeduplicator(lifetime: .seconds(900), capacity: 4)
        for index in 0..<10 { #expect(small.isNew(envelope("x\(index)"))) }
        #expect(small.isNew(envelope("x0")), "the oldest entries leave once capacity is exceeded")
        #expect(!small.isNew(envelope("x0")))
    }
}

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses every JSON type, keeps booleans apart from numbers, round-trips")
    func parsing() throws {
        let value = try JSONValue.parse(#"{"t":true,"f":false,"one":1,"zero":0,"pi":3.5,"s":"x\"y","n":null,"a":[1,"b",{"c":false}]}"#)
        #expect(value["t"] == .bool(true) && value["f"] == .bool(false))
        #expect(value["one"] == .number(1) && value["zero"] == .number(0) && value["pi"] == .number(3.5))
        #expect(value["s"]?.string == "x\"y" && value["n"] == .null)
        #expect(value["a"]?.array?.count == 3 && value["a"]?.array?[2]["c"] == .bool(false))
        #expect(try JSONValue.parse(value.text) == value)
        #expect(throws: (any Error).self) { try JSONValue.parse("{not json") }
    }
    @Test func quotedStringsParseBackToThemselves() throws {
        var samples = ["", "plain", "q\"uote", "back\\slash", "ctl\u{0}\u{1}\u{1f}\n\r\t", "ünï✓ 🎉", "</script>"]
        for _ in 0..<200 {
            samples.append(String((0..<Int.random(in: 0...24)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0...127))) }))
        }
        for sample in samples {
            #expect(try JSONValue.parse(JSONValue.quoted(sample)) == .string(sample), "\(Array(sample.utf8))")
        }
    }

    /// Found by `FuzzSocketModeEnvelope`: `Int(Double)` trapped on `"retry_attempt": 1e300`, which
    /// any frame could carry; a number that does not fit is now a missing field.
    @Test func numbersThatDoNotFitAnIntAreMissingNotATrap() throws {
        let frame = try JSONValue.parse(#"{"envelope_id":"e1","type":"events_api","retry_attempt":1e300,"payload":{},"n":-2.7,"big":9.3e18}"#)
        #expect(frame["retry_attempt"]?.int == nil)
        #expect(frame["n"]?.int == -2)
        #expect(frame["big"]?.int == nil)
        let envelope = try #require(SocketModeEnvelope(frame))
        #expect(envelope.retryAttempt == 0 && envelope.envelopeID == "e1")
    }
}
