@testable import AegisCore
@testable import AegisOpenAI
import AegisTestServers
import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import Testing

/// `openai-service-account-key` run as the engine would run it (a fact journal a re-run sees)
/// against the OpenAI fake, over an in-memory store that can lose a write: the orphan path of
/// `mint` (a key minted, its value never stored), its rollback, and `delete-old` now or later.
@Suite("OpenAI service-account key steps: mint, orphan, rollback, delete-old", .timeLimit(.minutes(3)))
struct OpenAIServiceAccountKeyStepTests {
    /// A versioned store in memory whose next `putPending` calls can be made to fail (a crash or
    /// outage between the mint and the store write).
    final class MemoryStore: SecretStore {
        struct Version { var value: SecretValue; var stages: Set<SecretStage>; var order: Int }
        let versions = Mutex<[String: Version]>([:])
        let failPuts = Mutex(0)

        func putPending(secret: StorageLocation, versionID: String, value: SecretValue) async throws {
            let fail = failPuts.withLock { count -> Bool in
                guard count > 0 else { return false }
                count -= 1
                return true
            }
            if fail { throw AdapterError(system: "memory", operation: "putPending", message: "write lost", isTransient: true) }
            versions.withLock { all in
                guard all[versionID] == nil else { return }
                for id in all.keys { all[id]?.stages.remove(.pending) }
                all[versionID] = Version(value: value, stages: [.pending], order: all.count)
            }
        }

        func value(secret: StorageLocation, versionID: String) async throws -> SecretValue? {
            versions.withLock { $0[versionID]?.value }
        }

        func versions(secret: StorageLocation) async throws -> [SecretVersionInfo] {
            versions.withLock { all in
                all.sorted { $0.value.order < $1.value.order }.map { SecretVersionInfo(versionID: $0.key, createdAt: nil, stages: $0.value.stages) }
            }
        }

        func makeCurrent(secret: StorageLocation, versionID: String) async throws {
            versions.withLock { all in
                guard all[versionID]?.stages.contains(.current) == false else { return }
                for id in all.keys {
                    all[id]?.stages.remove(.previous)
                    if all[id]?.stages.contains(.current) == true { all[id]?.stages = [.previous] }
                }
                all[versionID]?.stages = [.current]
            }
        }

        func discardPending(secret: StorageLocation, versionID: String) async throws {
            _ = versions.withLock { $0[versionID]?.stages.remove(.pending) }
        }
    }

    final class World: Sendable {
        let fake: PythonFake
        let setup: OpenAIFakeProject
        let client: OpenAIClient
        let store = MemoryStore()
        let definition: SecretDefinition
        let plan: Mutex<RotationPlan>
        let journal = Mutex<[String: String]>([:])
        let scheduled = Mutex<[TimerRecord]>([])
        let cancelled = Mutex<[String]>([])
        let oldVersion = SecretGenerator.versionID()

        init(_ fake: PythonFake) async throws {
            self.fake = fake
            setup = try await OpenAIFakeProject.make(fake)
            client = OpenAIClient(base: URL(string: fake.url + "/v1")!, admin: SecretValue(utf8: setup.admin), http: HTTPClient.shared,
                                  timeout: .seconds(20))
            var definition = try #require(try InventoryLoader.load(directory: repositoryCommands).definition(named: "openai-api-key"))
            definition.strategy = "service-account-key"
            self.definition = definition
            plan = Mutex(PlanBuilder(environment: .production, settings: RotationSettings()).plan(for: definition, leaked: false))
            try await store.putPending(secret: definition.storage, versionID: oldVersion, value: SecretValue(utf8: setup.firstKey.value))
            try await store.makeCurrent(secret: definition.storage, versionID: oldVersion)
        }

        var step: OpenAIServiceAccountKeyStep {
            OpenAIServiceAccountKeyStep(openai: client, deletion: OpenAIKeyDeletion(
                openai: client,
                schedule: { [self] timer in self.scheduled.withLock { $0.append(timer) } },
                cancel: { [self] id in self.cancelled.withLock { $0.append(id) } }))
        }

        var facts: [String: String] { journal.withLock { $0 } }

        func context(_ name: String) throws -> StepContext {
            let plan = self.plan.withLock { $0 }
            var step = try #require(plan.steps.first { $0.name == name })
            step.definition.parameters["project"] = .text(setup.project)
            step.definition.parameters["service_account"] = .text(setup.serviceAccount)
            let record = RotationRecord(
                id: "R-3", number: 3, secretID: definition.id, requester: "alice", reason: "test", leaked: false, status: .running,
                plan: plan, planDigest: plan.digest, requestedAt: Date(), expiresAt: Date().addingTimeInterval(1800),
                decidedBy: "carol", origin: ChatOrigin(channel: "ops"), facts: facts)
            return StepContext(
                rotation: record, step: step, definition: definition, store: store, target: nil,
                checks: CheckRegistry(runners: [:]), settings: RotationSettings(), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                recordFacts: { [self] new in self.journal.withLock { $0.merge(new) { $1 }; return $0 } },
                announce: { _ in }, cleanupNow: { _ in "nothing" })
        }

        func liveAccountKeys() async throws -> Set<String> {
            Set(try await OpenAIFakeProject.keys(fake).filter { $0.serviceAccount == setup.serviceAccount && !$0.deleted }.map(\.id))
        }
    }

    @Test("the store write is lost after the mint: the re-run deletes the orphan and mints again; rollback deletes the new key only")
    func orphanThenRollback() async throws {
        try await PythonFake.with("openai") { fake in
            let world = try await World(fake)
            let step = world.step
            world.store.failPuts.withLock { $0 = 1 }
            await #expect(throws: AdapterError.self) { _ = try await step.run(try world.context("mint-service-account-key")) }
            let orphan = try #require(world.facts[OpenAIServiceAccountKeyStep.Fact.newKeyID], "the minted key's ID was recorded before the store write")
            #expect(world.facts[OpenAIServiceAccountKeyStep.Fact.keysBefore] == world.setup.firstKey.id)
            #expect(world.facts[OpenAIServiceAccountKeyStep.Fact.oldKeyID] == world.setup.firstKey.id)
            #expect(try await world.liveAccountKeys() == [world.setup.firstKey.id, orphan])

            let summary = try await step.run(try world.context("mint-service-account-key"))
            #expect(summary.contains("deleted \(orphan)"), "\(summary)")
            let minted = try #require(world.facts[OpenAIServiceAccountKeyStep.Fact.newKeyID])
            #expect(minted != orphan)
            #expect(try await world.liveAccountKeys() == [world.setup.firstKey.id, minted], "no orphan left")
            let version = try #require(world.facts[FactKey.newVersion])
            let stored = try #require(try await world.store.value(secret: world.definition.storage, versionID: version))
            #expect(try await world.client.models(key: stored) == 3, "the stored value is the live minted key")
            let again = try await step.run(try world.context("mint-service-account-key"))
            #expect(again.contains("already stored"), "a third run changes nothing: \(again)")
            #expect(try await world.liveAccountKeys().count == 2)

            let undone = try #require(try await step.rollback(try world.context("mint-service-account-key")))
            #expect(undone.contains("deleted the new key \(minted)"), "\(undone)")
            #expect(try await world.liveAccountKeys() == [world.setup.firstKey.id], "only the old key is left")
            #expect(try await world.store.version(secret: world.definition.storage, stage: .pending) == nil)
            let text = ([summary, again, undone] + world.facts.map { "\($0.key)=\($0.value)" }).joined(separator: "\n")
            expectNoSecret(text, [world.setup.firstKey.value, world.setup.admin, stored.revealSecretString()], in: "summaries and facts")
        }
    }

    @Test("delete-old: with a grace the deletion is a timer the action performs; with none the old key goes at once, refused after")
    func deleteOld() async throws {
        try await PythonFake.with("openai") { fake in
            let world = try await World(fake)
            let step = world.step
            _ = try await step.run(try world.context("mint-service-account-key"))
            let scheduled = try await step.run(try world.context("delete-old-key"))
            #expect(scheduled.contains("deletion is scheduled") && scheduled.contains("cannot be undone"), "\(scheduled)")
            let timer = try #require(world.scheduled.withLock { $0.first })
            #expect(timer.payload["key_id"] == world.setup.firstKey.id && timer.payload["project"] == world.setup.project)
            #expect(timer.dueAt.timeIntervalSinceNow > 23 * 3_600, "the file's 24h grace")
            #expect(try await world.liveAccountKeys().contains(world.setup.firstKey.id), "still alive during the grace")
            #expect(try await step.rollback(try world.context("delete-old-key"))?.contains("cancelled") == true)
            #expect(world.cancelled.withLock { $0 } == [timer.id])

            let action = OpenAIKeyDeletionAction(openai: world.client)
            #expect(try await action.perform(payload: timer.payload).contains("deleted the old OpenAI key"))
            #expect(try await action.perform(payload: timer.payload).contains("already deleted"), "firing twice is harmless")
            await #expect(throws: OpenAIError.self) { _ = try await world.client.models(key: SecretValue(utf8: world.setup.firstKey.value)) }
        }
    }

    @Test("delete-old with no grace (a leak response) deletes at once and says it cannot be undone")
    func deleteOldLeaked() async throws {
        try await PythonFake.with("openai") { fake in
            let world = try await World(fake)
            world.plan.withLock { $0.grace = nil }
            let step = world.step
            _ = try await step.run(try world.context("mint-service-account-key"))
            let summary = try await step.run(try world.context("delete-old-key"))
            #expect(summary.contains("at once") && summary.contains("cannot be undone"), "\(summary)")
            #expect(!(try await world.liveAccountKeys().contains(world.setup.firstKey.id)))
            #expect(world.scheduled.withLock { $0.isEmpty })
        }
    }

    @Test("the Commands file is refused when delete-old comes before verify or an ID has the wrong shape")
    func loadRules() throws {
        let file = try String(contentsOf: repositoryCommands.appendingPathComponent("openai-api-key.yaml"), encoding: .utf8)
        let early = file.replacingOccurrences(of: "    - kind: promote\n    - kind: restart\n    - kind: verify\n    - name: delete-old-key",
                                              with: "    - name: delete-old-key")
            .replacingOccurrences(of: "      phase: delete-old\n", with: "      phase: delete-old\n    - kind: promote\n    - kind: restart\n    - kind: verify\n")
        #expect(early != file)
        #expect(throws: (any Error).self) { _ = try InventoryLoader.parse(early, file: "openai-api-key.yaml") }
        let badID = file.replacingOccurrences(of: "service_account: svc_acct_aegis_api", with: "service_account: aegis-api")
        #expect(throws: (any Error).self) { _ = try InventoryLoader.parse(badID, file: "openai-api-key.yaml") }
        _ = try InventoryLoader.parse(file, file: "openai-api-key.yaml")
    }
}
