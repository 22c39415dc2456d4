import AegisApp
import AegisAWS
import AegisCore
import AegisLocalSandbox
import AegisSlackTestSupport
import Foundation
import SlackFake
import SlackWebAPI
import Testing

/// A test-only inventory file: a key made by a human, handed over through the modal.
let providedTokenCommands = """
id: provided-token
title: Provided test token
every: 90d
storage:
  kind: aws-secrets-manager
  name: aegis/provided-token
strategy: console
strategies:
  console:
    - kind: await-provided-key
      stage_command: "aws secretsmanager put-secret-value --secret-id aegis/provided-token --secret-string <KEY> --version-stages AWSPENDING"
    - kind: promote
    - kind: verify
verify:
  - kind: store-readback
escalation: Ask the token's owner.
"""

@Suite("Slack bot: the key modal", .serialized)
struct KeyModalTests {
    @Test("the requester hands over a key through the modal; bad input is rejected in the form; the key never leaks")
    func modalPath() async throws {
        try await SlackHarness.with(commands: ["provided-token.yaml": providedTokenCommands]) { harness in
            let fake = harness.fake
            let sandbox = LocalSandbox(root: harness.folder.appendingPathComponent("local"), restartCommand: nil)
            let location = StorageLocation(kind: .awsSecretsManager, name: "aegis/provided-token")
            try await sandbox.store.putPending(secret: location, versionID: "v-original", value: SecretValue(utf8: "original-token-value-0001"))
            try await sandbox.store.makeCurrent(secret: location, versionID: "v-original")

            let request = try await harness.requestAndApprove("provided-token console rotation")
            let ask = try await fake.waitForMessage("key request") { $0.threadTS == request.ts && $0.allText.contains("Provide the new key") }
            #expect(ask.allText.contains("--version-stages AWSPENDING"))

            try await fake.click(user: People.bob, channel: People.ops, message: ask, actionID: "provide-key", value: "R-1")
            try await fake.waitUntil("bob's modal") { await $0.views.count == 1 }
            let bobView = await fake.views[0]
            #expect(bobView["private_metadata"]?.string == "R-1")
            try await fake.submitView(user: People.bob, view: bobView, values: ["key_block": ["key_input": "bobs-attempt-token-000000"]])
            try await harness.waitForEphemeral(People.bob, containing: "Only <@\(People.alice)>")

            try await fake.click(user: People.alice, channel: People.ops, message: ask, actionID: "provide-key", value: "R-1")
            try await fake.waitUntil("alice's modal") { await $0.views.count == 2 }
            let view = await fake.views[1]
            let empty = try await fake.submitView(user: People.alice, view: view, values: ["key_block": ["key_input": "   "]])
            let rejected = try await fake.waitForAck(empty)
            #expect(rejected.payload?["response_action"]?.string == "errors")
            #expect(rejected.payload?["errors"]?["key_block"]?.string == "Paste the new key.")

            let newKey = "sk-live-\(UUID().uuidString)-handed-over"
            let submitted = try await fake.submitView(user: People.alice, view: view, values: ["key_block": ["key_input": newKey]])
            #expect(try await fake.waitForAck(submitted).payload == nil)
            try await harness.waitForThread(request, containing: "R-1 completed")
            let current = try #require(try await sandbox.store.version(secret: location, stage: .current))
            #expect(try await sandbox.store.value(secret: location, versionID: current.versionID)?.revealSecretString() == newKey)
            #expect(try await sandbox.store.version(secret: location, stage: .previous)?.versionID == "v-original")
            let leaks = await harness.leaks(of: [newKey, "bobs-attempt-token-000000", "original-token-value-0001"])
            #expect(leaks.isEmpty, "a provided key leaked into: \(leaks)")
        }
    }
}
