import AegisTestServers
import AegisAWS
import AegisCore
import Foundation
import Synchronization
import Testing

/// The `iam-access-key` phases, `promote` and the `sts-caller-identity` check of
/// Commands/aws-iam-access-keys.yaml, run as the engine would run them, against moto with
/// signature checking on and the real `SecretsManagerStore`.
@Suite("moto: IAM access key rotation steps", .timeLimit(.minutes(2)))
struct IAMAccessKeyStepTests {
    static let user = "aegis-api"  // the Commands file's user

    /// Moto with the user, its first key stored as the secret's current version.
    final class World: Sendable {
        let moto: MotoServer
        let iam: IAMAccessKeys
        let harness: StepHarness
        let firstKey: IAMNewAccessKey
        let firstVersion: String
        let scheduled = Mutex<[IAMKeyDeletion]>([])
        let cancelled = Mutex<[String]>([])

        init(_ moto: MotoServer, grace: Duration? = nil) async throws {
            self.moto = moto
            let client = try moto.client()
            iam = IAMAccessKeys(client: client)
            _ = try await client.query(.iam, action: "CreateUser", parameters: [("UserName", IAMAccessKeyStepTests.user)])
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#
            _ = try await client.query(.iam, action: "PutUserPolicy", parameters: [
                ("UserName", IAMAccessKeyStepTests.user), ("PolicyName", "whoami"), ("PolicyDocument", policy)])
            let store = SecretsManagerStore(client: client)
            harness = try StepHarness(secret: "aws-iam-access-keys", store: store, grace: grace)
            firstKey = try await iam.createAccessKey(userName: IAMAccessKeyStepTests.user)
            firstVersion = SecretGenerator.versionID()
            let pair = IAMAccessKeyPair(accessKeyID: firstKey.metadata.accessKeyID, secretAccessKey: firstKey.secretAccessKey)
            try await store.createSecret(name: harness.definition.storage.name, versionID: firstVersion, value: try pair.stored())
        }

        var step: IAMAccessKeyStep {
            IAMAccessKeyStep(iam: iam, scheduleDeletion: { [self] deletion in self.scheduled.withLock { $0.append(deletion) } },
                             cancelDeletion: { [self] id in self.cancelled.withLock { $0.append(id) } })
        }

        func keys() async throws -> [String: IAMAccessKeyStatus] {
            Dictionary(uniqueKeysWithValues: try await iam.listAccessKeys(userName: IAMAccessKeyStepTests.user).map { ($0.accessKeyID, $0.status) })
        }

        func storedPair(_ version: String) async throws -> IAMAccessKeyPair {
            let value = try #require(try await harness.store.value(secret: harness.definition.storage, versionID: version))
            return try IAMAccessKeyPair(stored: value, versionID: version)
        }
    }

    @Test("create → promote → STS with the new key → deactivate-old → delete-old after the grace")
    func fullRotation() async throws {
        try await MotoServer.withMoto { moto in
            let world = try await World(moto)
            let harness = world.harness, step = world.step
            let oldID = world.firstKey.metadata.accessKeyID
            var summaries: [String] = []

            summaries.append(try await harness.run(step, "create-access-key"))
            let newVersion = try #require(harness.facts[FactKey.newVersion])
            let newID = try #require(harness.facts[IAMAccessKeyStep.Fact.newKeyID])
            #expect(harness.facts[FactKey.oldVersion] == world.firstVersion)
            #expect(harness.facts[IAMAccessKeyStep.Fact.oldKeyID] == oldID)
            #expect(harness.facts[IAMAccessKeyStep.Fact.keysBefore] == oldID)
            #expect(try await world.keys() == [oldID: .active, newID: .active])
            let newPair = try await world.storedPair(newVersion)
            #expect(newPair.accessKeyID == newID)
            #expect(try await harness.stage(.pending) == newVersion)
            #expect(try await harness.stage(.current) == world.firstVersion)

            // A re-run (after a crash) changes nothing.
            let again = try await harness.run(step, "create-access-key")
            #expect(again.contains("already stored"))
            #expect(try await world.keys().count == 2)
            summaries.append(again)

            summaries.append(try await harness.run(PromoteStep(), "promote"))
            #expect(try await harness.stage(.current) == newVersion)
            #expect(try await harness.stage(.previous) == world.firstVersion)

            let check = STSCallerIdentityCheck(client: try moto.client())
            let result = await check.run(CheckDefinition(kind: .stsCallerIdentity), context: harness.checkContext(expecting: newVersion))
            #expect(result.status == .passed, "\(result.detail)")
            #expect(result.detail.contains("user/\(Self.user)"))
            #expect(result.detail.contains(newID))

            summaries.append(try await harness.run(step, "deactivate-old-key"))
            #expect(try await world.keys() == [oldID: .inactive, newID: .active])

            // The plan has the file's 24h grace: the deletion is scheduled, the key stays Inactive.
            summaries.append(try await harness.run(step, "delete-old-key"))
            let deletion = try #require(world.scheduled.withLock { $0.first })
            #expect(deletion.accessKeyID == oldID && deletion.userName == Self.user)
            #expect(deletion.dueAt.timeIntervalSinceNow > 23 * 3600)
            #expect(harness.facts[IAMAccessKeyStep.Fact.oldDeletionDue] != nil)
            #expect(try await world.keys() == [oldID: .inactive, newID: .active])

            // When the timer fires, the still-Inactive old key goes.
            summaries.append(try await deletion.perform(iam: world.iam))
            #expect(try await world.keys() == [newID: .active])
            summaries.append(try await deletion.perform(iam: world.iam))  // fired twice: harmless

            let secrets = [world.firstKey.secretAccessKey.revealSecretString(), newPair.secretAccessKey.revealSecretString()]
            let everything = (summaries + [result.detail] + harness.facts.map { "\($0.key)=\($0.value)" } + harness.logs.all)
                .joined(separator: "\n")
            expectNoSecret(in: everything, secrets, pieces: true, context: "summaries, check detail, facts and logs")
        }
    }

    @Test("a user already holding two keys is refused before anything changes, naming both key IDs")
    func twoKeysRefused() async throws {
        try await MotoServer.withMoto { moto in
            let world = try await World(moto)
            let second = try await world.iam.createAccessKey(userName: Self.user)
            let before = try await world.keys()
            // Version IDs and labels (moto's dates are not stable enough to compare).
            let labels = { @Sendable (versions: [SecretVersionInfo]) in versions.map { "\($0.versionID):\($0.stages.map(\.rawValue).sorted())" } }
            let versionsBefore = labels(try await world.harness.store.versions(secret: world.harness.definition.storage))

            let error = await #expect(throws: StepError.self) { try await world.harness.run(world.step, "create-access-key") }
            let text = error?.description ?? ""
            #expect(text.contains("two access keys"))
            #expect(text.contains(Self.user))
            #expect(text.contains(world.firstKey.metadata.accessKeyID) && text.contains(second.metadata.accessKeyID))
            #expect(text.contains("Nothing was changed"))

            #expect(try await world.keys() == before)
            #expect(labels(try await world.harness.store.versions(secret: world.harness.definition.storage)) == versionsBefore)
            #expect(world.harness.facts[FactKey.newVersion] == nil)
            #expect(world.harness.facts[IAMAccessKeyStep.Fact.newKeyID] == nil)
            expectNoSecret(in: text, [world.firstKey.secretAccessKey.revealSecretString(), second.secretAccessKey.revealSecretString()],
                           pieces: true, context: "the refusal")
        }
    }

    @Test("rollback deletes the new key, discards the pending version and reactivates the old key")
    func rollback() async throws {
        try await MotoServer.withMoto { moto in
            let world = try await World(moto)
            let harness = world.harness, step = world.step
            let oldID = world.firstKey.metadata.accessKeyID
            _ = try await harness.run(step, "create-access-key")
            let newVersion = try #require(harness.facts[FactKey.newVersion])
            let newSecret = try await world.storedPair(newVersion).secretAccessKey.revealSecretString()
            _ = try await harness.run(step, "deactivate-old-key")
            #expect(try await world.keys()[oldID] == .inactive)

            // Newest first, as the engine undoes them; each twice (a rollback re-run after a crash).
            let undoDeactivate = try await harness.rollback(step, "deactivate-old-key")
            #expect(undoDeactivate?.contains("Active again") == true)
            _ = try await harness.rollback(step, "deactivate-old-key")
            let undoCreate = try #require(try await harness.rollback(step, "create-access-key"))
            #expect(undoCreate.contains("deleted new access key"))
            #expect(undoCreate.contains("discarded pending version \(newVersion)"))
            _ = try await harness.rollback(step, "create-access-key")

            #expect(try await world.keys() == [oldID: .active])
            #expect(try await harness.stage(.pending) == nil)
            #expect(try await harness.stage(.current) == world.firstVersion)
            expectNoSecret(in: [undoDeactivate ?? "", undoCreate].joined(separator: "\n") + harness.logs.all.joined(separator: "\n"),
                           [world.firstKey.secretAccessKey.revealSecretString(), newSecret], pieces: true, context: "rollback summaries and logs")
        }
    }

    @Test("a key created before a crash lost the store write is deleted and replaced (its secret is gone)")
    func orphanAfterCrash() async throws {
        try await MotoServer.withMoto { moto in
            let world = try await World(moto)
            let harness = world.harness
            let oldID = world.firstKey.metadata.accessKeyID
            // What a run that crashed right after CreateAccessKey leaves behind.
            let orphan = try await world.iam.createAccessKey(userName: Self.user)
            let version = SecretGenerator.versionID()
            harness.facts = [FactKey.oldVersion: world.firstVersion, IAMAccessKeyStep.Fact.oldKeyID: oldID,
                             IAMAccessKeyStep.Fact.keysBefore: oldID, FactKey.newVersion: version,
                             IAMAccessKeyStep.Fact.newKeyID: orphan.metadata.accessKeyID]

            let summary = try await harness.run(world.step, "create-access-key")
            #expect(summary.contains("deleted \(orphan.metadata.accessKeyID)"))
            let newID = try #require(harness.facts[IAMAccessKeyStep.Fact.newKeyID])
            #expect(newID != orphan.metadata.accessKeyID)
            #expect(harness.facts[FactKey.newVersion] == version)
            #expect(try await world.keys() == [oldID: .active, newID: .active])
            #expect(try await world.storedPair(version).accessKeyID == newID)
        }
    }

    @Test("with no grace (a leak) delete-old deletes at once; a timer leaves a reactivated key alone")
    func noGraceAndReactivated() async throws {
        try await MotoServer.withMoto { moto in
            let world = try await World(moto, grace: .zero)
            let harness = world.harness, step = world.step
            let oldID = world.firstKey.metadata.accessKeyID
            _ = try await harness.run(step, "create-access-key")
            let newID = try #require(harness.facts[IAMAccessKeyStep.Fact.newKeyID])
            _ = try await harness.run(PromoteStep(), "promote")
            _ = try await harness.run(step, "deactivate-old-key")
            let summary = try await harness.run(step, "delete-old-key")
            #expect(summary.contains("deleted"))
            #expect(world.scheduled.withLock { $0.isEmpty })
            #expect(try await world.keys() == [newID: .active])
            _ = try await harness.run(step, "delete-old-key")  // re-run: already gone, fine

            // A due deletion of a key someone switched back on is not carried out.
            let deletion = IAMKeyDeletion(id: "t", rotationID: "R-7", userName: Self.user, accessKeyID: newID, dueAt: Date())
            #expect(try await deletion.perform(iam: world.iam).contains("Active again"))
            #expect(try await world.keys() == [newID: .active])
            #expect(oldID != newID)
        }
    }

    @Test("the STS check fails with a clear detail for a key IAM does not know, without its secret")
    func stsCheckFails() async throws {
        try await MotoServer.withMoto { moto in
            let world = try await World(moto)
            let harness = world.harness
            let bogusSecret = "bogus-\(UUID().uuidString)"
            let version = SecretGenerator.versionID()
            let pair = IAMAccessKeyPair(accessKeyID: "AKIAUNKNOWN000000000", secretAccessKey: SecretValue(utf8: bogusSecret))
            try await harness.store.putPending(secret: harness.definition.storage, versionID: version, value: try pair.stored())
            let check = STSCallerIdentityCheck(client: try moto.client(), attempts: 2, firstDelay: .milliseconds(50))
            let result = await check.run(CheckDefinition(kind: .stsCallerIdentity), context: harness.checkContext(expecting: version))
            #expect(result.status == .failed)
            #expect(result.detail.contains("InvalidClientTokenId"))
            #expect(result.detail.contains("AKIAUNKNOWN000000000"))
            expectNoSecret(in: result.detail + harness.logs.all.joined(separator: "\n"), [bogusSecret], pieces: true, context: "check detail and logs")

            // A value that is not a key pair fails by version, without quoting the value.
            let plain = SecretGenerator.versionID()
            try await harness.store.putPending(secret: harness.definition.storage, versionID: plain, value: SecretValue(utf8: bogusSecret))
            let unreadable = await check.run(CheckDefinition(kind: .stsCallerIdentity), context: harness.checkContext(expecting: plain))
            #expect(unreadable.status == .failed)
            #expect(unreadable.detail.contains("not an access key pair"))
            expectNoSecret(in: unreadable.detail, [bogusSecret], context: "the unreadable-value detail")
        }
    }
}
