import AegisApp
import AegisCore
import AegisSlackTestSupport
import Foundation
import SlackFake
import SlackWebAPI
import Testing

@Suite("Slack bot: the approval flow over Socket Mode", .serialized)
struct SlackFlowTests {
    @Test("request, refused approvals, approval, checklist updates, thread lines, results, grace clean-up; no leaks")
    func fullFlow() async throws {
        try await SlackHarness.with(environment: ["AEGIS_JWT_GRACE": "2s"]) { harness in
            let fake = harness.fake
            let envelope = try await fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt quarterly rotation")
            let ack = try await fake.waitForAck(envelope)
            #expect(ack.latency < .seconds(3))
            let request = try await harness.requestMessage("R-1")
            #expect(request.buttons.map(\.actionID) == ["approve", "deny"])
            #expect(request.buttons.first?.text.contains("Approve") == true)
            #expect(request.buttons.last?.text.contains("Deny") == true)
            #expect(request.allText.contains("<@\(People.alice)>") && request.allText.contains("quarterly rotation"))
            let announcement = try await fake.waitForMessage("approver announcement") { $0.channel == People.securityOps }
            #expect(announcement.buttons.map(\.value) == ["R-1", "R-1"])

            try await fake.click(user: People.alice, channel: People.ops, message: request, actionID: "approve", value: "R-1")
            try await harness.waitForEphemeral(People.alice, containing: "a second person from #security-ops must approve it")
            try await fake.click(user: People.bob, channel: People.ops, message: request, actionID: "approve", value: "R-1")
            try await harness.waitForEphemeral(People.bob, containing: "Only members of #security-ops can approve")
            try await fake.click(user: People.carol, channel: People.securityOps, message: announcement, actionID: "approve", value: "R-1")

            try await harness.waitForThread(request, containing: "Approved by <@\(People.carol)>")
            for (index, step) in ["generate", "deploy-config", "restart", "verify", "promote", "grace-cleanup"].enumerated() {
                try await harness.waitForThread(request, containing: "Step \(index + 1)/6 `\(step)`")
            }
            try await harness.waitForThread(request, containing: "Verification after rotation (R-1): passed")
            try await harness.waitForThread(request, containing: "R-1 completed")
            // The checklist is updated in place with its latest state at most once a second, so its
            // last update can come after the last thread line.
            try await fake.waitUntil("the checklist's final state") { _ in await harness.current(request).allText.contains("✓ 6/6") }
            let updated = await harness.current(request)
            #expect(updated.updates >= 1, "checklist updated in place")
            #expect(updated.buttons.isEmpty)
            #expect(updated.allText.contains("✓ 6/6"))
            try await harness.waitForThread(request, containing: "Grace period over for R-1: removed jwt.previous_signing_key", timeout: .seconds(60))

            let members = await fake.calls.filter { $0.method == "conversations.members" }
            #expect(members.count >= 4, "conversations.members is paginated (page size 2, 7 members)")
            #expect(members.contains { $0.body["cursor"]?.string?.isEmpty == false })
            #expect(await fake.calls.allSatisfy { $0.method == "apps.connections.open" ? $0.tokenKind == "xapp" : $0.tokenKind == "xoxb" })
            let leaks = await harness.leaks(of: try await harness.sandboxSecrets())
            #expect(leaks.isEmpty, "secret values in: \(leaks)")
        }
    }

    @Test("an expired request cannot be approved")
    func expired() async throws {
        try await SlackHarness.with(environment: ["AEGIS_APPROVAL_TTL": "1s"]) { harness in
            try await harness.fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt")
            let request = try await harness.requestMessage("R-1")
            try await Task.sleep(for: .milliseconds(1_300))
            try await harness.fake.click(user: People.carol, channel: People.ops, message: request, actionID: "approve", value: "R-1")
            try await harness.waitForEphemeral(People.carol, containing: "expired")
            try await harness.waitForThread(request, containing: "expired")
        }
    }

    @Test("deny, cancel, and a second request pointing at the open one")
    func denyCancelDuplicate() async throws {
        try await SlackHarness.with() { harness in
            let fake = harness.fake
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt")
            let first = try await harness.requestMessage("R-1")
            try await fake.click(user: People.dave, channel: People.ops, message: first, actionID: "deny", value: "R-1")
            try await harness.waitForThread(first, containing: "Denied by <@\(People.dave)>")
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt")
            _ = try await harness.requestMessage("R-2")
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "cancel R-2")
            try await harness.waitForEphemeral(People.alice, containing: "R-2 is now cancelled")
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "jwt")
            _ = try await harness.requestMessage("R-3")
            try await fake.slashCommand(user: People.bob, channel: People.ops, text: "jwt-signing-key")
            try await harness.waitForEphemeral(People.bob, containing: "already has an open rotation: R-3")
            #expect(await harness.messages(in: People.ops).filter { $0.text.hasPrefix("Rotation R-") }.count == 3)
        }
    }

    @Test("unknown secrets and malformed envelopes get answers or are dropped; the bot keeps working")
    func badInput() async throws {
        // Every shipped strategy runs on the sandbox's stand-ins; RDS-managed rotation has none.
        let managed = """
        id: managed-db
        title: Managed database password
        every: 30d
        storage:
          kind: aws-secrets-manager
          name: aegis/managed-db
        strategy: managed
        strategies:
          managed:
            - kind: aws-managed-rotation
        verify:
          - kind: store-readback
        escalation: Ask the database team.
        """
        try await SlackHarness.with(commands: ["managed-db.yaml": managed]) { harness in
            let fake = harness.fake
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "okat")
            try await harness.waitForEphemeral(People.alice, containing: "Did you mean `okta-api-token`?")
            try await fake.sendRaw("this is not json")
            try await fake.sendRaw(#"{"type":"mystery"}"#)
            let unknownType = try await fake.sendEnvelope(type: "mystery_type", payload: ["x": 1], acceptsResponsePayload: false)
            let noUser = try await fake.sendEnvelope(type: "slash_commands", payload: ["command": "/rotate", "text": "jwt"], acceptsResponsePayload: true)
            let noAction = try await fake.sendEnvelope(type: "interactive", payload: ["type": "block_actions"], acceptsResponsePayload: false)
            let unknownAction = try await fake.sendEnvelope(type: "interactive", payload: [
                "type": "block_actions", "user": ["id": .string(People.bob)], "channel": ["id": .string(People.ops)],
                "trigger_id": "1.2", "actions": [["action_id": "self-destruct", "value": "R-1"]]], acceptsResponsePayload: false)
            for id in [unknownType, noUser, noAction, unknownAction] { _ = try await fake.waitForAck(id) }
            try await harness.waitForEphemeral(People.bob, containing: "That button (`self-destruct`) is not one I know.")
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "")
            try await harness.waitForEphemeral(People.alice, containing: "/rotate <secret> [--leaked] [reason…]")
            try await fake.slashCommand(user: People.alice, channel: People.ops, text: "managed-db")
            try await harness.waitForEphemeral(People.alice, containing: "AWS_REGION")
            #expect(await harness.messages(in: People.ops).isEmpty)
            #expect(await fake.openSockets == 1)
        }
    }
}
