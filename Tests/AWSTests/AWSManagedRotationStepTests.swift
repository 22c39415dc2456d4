import AegisTestServers
import AegisAWS
import AegisCore
import Foundation
import Synchronization
import Testing

/// `aws-managed-rotation` of Commands/postgres-password.yaml (strategy `aws-managed`) against
/// moto with signature checking on. moto has no rotation Lambda (its `RotateSecret` puts an
/// empty version on AWSCURRENT at once), so the tests stand in for the Lambda: the step's
/// `startRotation` only records the token, and the test stages AWSPENDING and then moves
/// AWSCURRENT with `PutSecretValue` / `UpdateSecretVersionStage` while the step polls.
@Suite("moto: Secrets Manager managed rotation step", .timeLimit(.minutes(2)))
struct AWSManagedRotationStepTests {
    static let stepName = "aws-managed-rotation"

    static func setUp(_ moto: MotoServer) async throws -> (StepHarness, String) {
        let store = SecretsManagerStore(client: try moto.client())
        let harness = try StepHarness(secret: "postgres-password", strategy: "aws-managed", store: store)
        let oldVersion = SecretGenerator.versionID()
        try await store.createSecret(name: harness.definition.storage.name, versionID: oldVersion, value: SecretValue(utf8: "old-db-password-1"))
        return (harness, oldVersion)
    }

    /// Waits until the step has recorded its rotation token (it does so before starting).
    static func token(_ harness: StepHarness) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let token = harness.facts[AWSManagedRotationStep.rotationVersionFact] { return token }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw StepError.refused("the step recorded no rotation token")
    }

    @Test("follows the rotation's version from AWSPENDING to AWSCURRENT; rollback moves AWSCURRENT back")
    func followsStages() async throws {
        try await MotoServer.withMoto { moto in
            let (harness, oldVersion) = try await Self.setUp(moto)
            let started = Mutex<[String]>([])
            let step = AWSManagedRotationStep(store: harness.store, pollInterval: .milliseconds(100),
                                              startRotation: { _, token in started.withLock { $0.append(token) } })
            let newPassword = "new-db-password-\(UUID().uuidString)"
            let secret = harness.definition.storage
            let lambda = Task {
                let token = try await Self.token(harness)
                try await Task.sleep(for: .milliseconds(300))
                try await harness.store.putPending(secret: secret, versionID: token, value: SecretValue(utf8: newPassword))
                try await Task.sleep(for: .milliseconds(500))  // createSecret … testSecret: pending, not yet current
                try await harness.store.makeCurrent(secret: secret, versionID: token)  // finishSecret
            }
            let summary = try await harness.run(step, Self.stepName)
            try await lambda.value
            let token = try #require(harness.facts[AWSManagedRotationStep.rotationVersionFact])
            #expect(started.withLock { $0 } == [token])
            #expect(harness.facts[FactKey.newVersion] == token)
            #expect(harness.facts[FactKey.oldVersion] == oldVersion)
            #expect(summary.contains("AWSCURRENT = \(token)"))
            #expect(summary.contains("followed from AWSPENDING"))
            #expect(try await harness.stage(.current) == token)

            // A re-run does not start a second rotation.
            _ = try await harness.run(step, Self.stepName)
            #expect(started.withLock { $0.count } == 1)

            let undone = try await harness.rollback(step, Self.stepName)
            #expect(undone?.contains("AWSCURRENT moved back to \(oldVersion)") == true)
            #expect(try await harness.stage(.current) == oldVersion)
            #expect(try await harness.stage(.pending) == nil)
            expectNoSecret(in: ([summary, undone ?? ""] + harness.facts.map { "\($0.key)=\($0.value)" } + harness.logs.all)
                .joined(separator: "\n"), [newPassword, "old-db-password-1"], context: "summaries, facts and logs")
        }
    }

    @Test("a Lambda that never finishes: the timeout is a non-transient 'auto-rotation failed'; rollback clears AWSPENDING")
    func timesOut() async throws {
        try await MotoServer.withMoto { moto in
            let (harness, oldVersion) = try await Self.setUp(moto)
            let secret = harness.definition.storage
            let step = AWSManagedRotationStep(store: harness.store, pollInterval: .milliseconds(100), startRotation: { _, _ in })
            let lambda = Task {
                let token = try await Self.token(harness)
                try await harness.store.putPending(secret: secret, versionID: token, value: SecretValue(utf8: "half-done"))
            }
            let began = ContinuousClock.now
            let error = await #expect(throws: StepError.self) {
                try await step.run(harness.context(try harness.step(Self.stepName, parameters: ["timeout": "2s"])))
            }
            try await lambda.value
            #expect(ContinuousClock.now - began >= .seconds(2))
            let text = error?.description ?? ""
            #expect(text.contains("auto-rotation failed"))
            #expect(text.contains("did not become AWSCURRENT within 2s"))
            #expect(text.contains("AWSPENDING"))
            #expect(harness.facts[FactKey.newVersion] == nil)
            #expect(try await harness.stage(.current) == oldVersion)

            let undone = try await harness.rollback(step, Self.stepName)
            #expect(undone?.contains("AWSPENDING taken off") == true)
            #expect(try await harness.stage(.pending) == nil)
            #expect(try await harness.stage(.current) == oldVersion)
            expectNoSecret(in: text + (undone ?? ""), ["half-done", "old-db-password-1"], context: "the error and rollback")
        }
    }

    @Test("the real RotateSecret at moto (no Lambda) leaves an empty AWSCURRENT: refused, and rolled back")
    func realRotateSecretWithoutLambda() async throws {
        try await MotoServer.withMoto { moto in
            let (harness, oldVersion) = try await Self.setUp(moto)
            let step = AWSManagedRotationStep(store: harness.store, pollInterval: .milliseconds(100))
            let error = await #expect(throws: StepError.self) { try await harness.run(step, Self.stepName) }
            #expect(error?.description.contains("auto-rotation failed") == true)
            #expect(error?.description.contains("without a value") == true)
            let token = try #require(harness.facts[AWSManagedRotationStep.rotationVersionFact])
            #expect(try await harness.stage(.current) == token)  // what moto did

            let undone = try await harness.rollback(step, Self.stepName)
            #expect(undone?.contains("AWSCURRENT moved back to \(oldVersion)") == true)
            #expect(try await harness.stage(.current) == oldVersion)
        }
    }
}
