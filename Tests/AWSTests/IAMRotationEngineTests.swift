import AegisTestServers
import AegisAWS
import AegisKubernetes
import AegisCore
import AegisStateSQLite
import Foundation
import Logging
import Synchronization
import Testing

/// Commands/aws-iam-access-keys.yaml end to end through a real `RotationEngine` on a SQLite state
/// store, with `SecretsManagerStore` as the store, the AWS steps and check registered beside the
/// built-in ones, all against moto with signature checking on.
@Suite("engine: IAM access key rotation at moto", .timeLimit(.minutes(2)))
struct IAMRotationEngineTests {
    final class Rig: Sendable {
        let world: IAMAccessKeyStepTests.World
        let folder: URL
        let state: SQLiteStateStore
        let target = RestartCountingTarget()
        let events = EventLog()
        let logs = LogCapture()
        let engine: RotationEngine
        let runner: Task<Void, Never>

        init(_ moto: MotoServer, failingCheck: Bool = false) async throws {
            world = try await IAMAccessKeyStepTests.World(moto)
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-aws-engine-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let state = try SQLiteStateStore(path: folder.appendingPathComponent("state.sqlite").path, auditKey: try AuditKey(material: SecretValue(utf8: "test-audit-key-0123456789abcdef-0123456789")))
            self.state = state
            var steps = StepRegistry.builtIn(state: state)
            steps.executors[.iamAccessKey] = world.step
            var checks = CheckRegistry.builtIn(sandbox: true)
            checks.runners[.stsCallerIdentity] = STSCallerIdentityCheck(client: try moto.client())
            if failingCheck { checks.runners[.logs] = FailsUnlessVersion(healthy: world.firstVersion, detail: "auth errors in the pod logs (test)") }
            engine = RotationEngine(EngineDependencies(
                inventory: try InventoryLoader.load(directory: repositoryCommands), state: state,
                adapters: AWSTestAdapters(store: world.harness.store, target: target),
                approvers: StaticApproverDirectory(groupName: "security-ops", members: ["carol", "dave"]),
                events: events, steps: steps, checks: checks, settings: RotationSettings(retryBaseDelay: .milliseconds(10)),
                environment: .production, logger: logs.logger("test.engine")))
            let engine = self.engine
            runner = Task { try? await engine.run() }
        }

        func rotate() async throws -> RotationRecord {
            guard case .created(let snapshot) = try await engine.request(secretName: "aws-iam-access-keys", requester: "alice",
                                                                         reason: "test", leaked: false, channel: "ops") else {
                throw StepError.refused("the request was not created")
            }
            guard case .accepted = try await engine.approve(rotationID: snapshot.record.id, user: "carol") else {
                throw StepError.refused("the approval was refused")
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if let record = try await state.rotation(id: snapshot.record.id), !record.status.isOpen { return record }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw StepError.refused("rotation \(snapshot.record.id) did not finish")
        }

        /// Every byte the state store wrote (database, WAL), every event, every log line.
        func everythingWritten() async throws -> String {
            var text = ""
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                text += String(decoding: try Data(contentsOf: folder.appendingPathComponent(name)), as: UTF8.self)
            }
            return text + (await events.events).map { "\($0)" }.joined(separator: "\n") + logs.all.joined(separator: "\n")
        }

        func stop() {
            runner.cancel()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test("approve → create, promote, restart, verify with STS, deactivate the old key, schedule its deletion")
    func completes() async throws {
        try await MotoServer.withMoto { moto in
            let rig = try await Rig(moto)
            defer { rig.stop() }
            let world = rig.world
            let oldID = world.firstKey.metadata.accessKeyID
            let record = try await rig.rotate()
            #expect(record.status == .completed, "\(record.failure ?? "")")
            let newVersion = try #require(record.facts[FactKey.newVersion])
            let newID = try #require(record.facts[IAMAccessKeyStep.Fact.newKeyID])
            #expect(try await world.keys() == [oldID: .inactive, newID: .active])
            #expect(try await world.harness.stage(.current) == newVersion)
            #expect(try await world.harness.stage(.previous) == world.firstVersion)
            #expect(await rig.target.restarts == 1)
            let deletion = try #require(world.scheduled.withLock { $0.first })
            #expect(deletion.accessKeyID == oldID && deletion.rotationID == record.id)

            let newSecret = try await world.storedPair(newVersion).secretAccessKey.revealSecretString()
            expectNoSecret(in: try await rig.everythingWritten(), [world.firstKey.secretAccessKey.revealSecretString(), newSecret],
                           pieces: true, context: "the state store's files, the events and the logs")
        }
    }

    @Test("verification fails → rollback: current moved back, new key deleted, pending discarded, old key untouched")
    func rollsBack() async throws {
        try await MotoServer.withMoto { moto in
            let rig = try await Rig(moto, failingCheck: true)
            defer { rig.stop() }
            let world = rig.world
            let oldID = world.firstKey.metadata.accessKeyID
            let record = try await rig.rotate()
            #expect(record.status == .rolledBack, "\(record.status) \(record.failure ?? "")")
            #expect(record.failure?.contains("auth errors in the pod logs") == true)
            let newVersion = try #require(record.facts[FactKey.newVersion])
            #expect(try await world.keys() == [oldID: .active])
            #expect(try await world.harness.stage(.current) == world.firstVersion)
            #expect(try await world.harness.stage(.pending) == nil)
            #expect(world.scheduled.withLock { $0.isEmpty })
            #expect(await rig.target.restarts == 2)  // the rotation's, and the one after restoring

            let newSecret = try await world.storedPair(newVersion).secretAccessKey.revealSecretString()
            expectNoSecret(in: try await rig.everythingWritten(), [world.firstKey.secretAccessKey.revealSecretString(), newSecret],
                           pieces: true, context: "the state store's files, the events and the logs")
        }
    }
}
