@testable import AegisCore
import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import Logging
import Synchronization
import Testing

/// The repository's Commands folder.
let repositoryCommands = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Commands")

/// One rotation of a real Commands file's secret as the engine would run it, over a real
/// `SecretsManagerStore` at moto: the plan, a fact journal that `recordFacts` writes to (so a
/// re-run sees what an earlier run recorded), and the `StepContext` each step would get.
final class StepHarness: Sendable {
    let definition: SecretDefinition
    let store: SecretsManagerStore
    let logs = LogCapture()
    let plan: RotationPlan
    private let journal = Mutex<[String: String]>([:])

    init(secret: String, strategy: String? = nil, store: SecretsManagerStore, grace: Duration? = nil) throws {
        var definition = try #require(try InventoryLoader.load(directory: repositoryCommands).definition(named: secret))
        if let strategy { definition.strategy = strategy }
        self.definition = definition
        self.store = store
        var plan = PlanBuilder(environment: .production, settings: RotationSettings()).plan(for: definition, leaked: false)
        if let grace { plan.grace = grace }
        self.plan = plan
    }

    var facts: [String: String] {
        get { journal.withLock { $0 } }
        set { journal.withLock { $0 = newValue } }
    }

    /// The plan's step named `name`, parameters replaced.
    func step(_ name: String, parameters: [String: String] = [:]) throws -> PlannedStep {
        var step = try #require(plan.steps.first { $0.name == name }, "no step \(name) in \(plan.steps.map(\.name))")
        for (key, value) in parameters { step.definition.parameters[key] = .text(value) }
        return step
    }

    /// The context the engine would hand `step` now.
    func context(_ step: PlannedStep) -> StepContext {
        let record = RotationRecord(
            id: "R-7", number: 7, secretID: definition.id, requester: "alice", reason: "test", leaked: false, status: .running,
            plan: plan, planDigest: plan.digest, requestedAt: Date(), expiresAt: Date().addingTimeInterval(1800),
            decidedBy: "carol", origin: ChatOrigin(channel: "ops"), facts: facts)
        return StepContext(
            rotation: record, step: step, definition: definition, store: store, target: nil,
            checks: CheckRegistry(runners: [:]), settings: RotationSettings(), logger: logs.logger("test.step"),
            recordFacts: { [self] new in self.journal.withLock { $0.merge(new) { $1 }; return $0 } },
            announce: { _ in }, cleanupNow: { _ in "nothing" })
    }

    func run(_ executor: any StepExecutor, _ name: String) async throws -> String {
        try await executor.run(context(try step(name)))
    }

    func rollback(_ executor: any StepExecutor, _ name: String) async throws -> String? {
        try await executor.rollback(context(try step(name)))
    }

    func checkContext(expecting version: String) -> CheckContext {
        CheckContext(definition: definition, store: store, target: nil, expectedCurrentVersion: version,
                     settings: RotationSettings(), logger: logs.logger("test.check"))
    }

    func stage(_ stage: SecretStage) async throws -> String? {
        try await store.version(secret: definition.storage, stage: stage)?.versionID
    }
}
