@testable import AegisCore
import AegisLocalSandbox
import Foundation
import Logging
import Synchronization
import Testing

/// The repository's Commands folder.
public let repositoryCommands = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Commands")

/// One secret's rotation as the engine would have it when a step runs: a real `LocalSecretStore`
/// holding an old version (current) and a new one (pending), staged the way `generate` stages
/// them, and the facts naming both versions. Steps get a hand-built `StepContext`; facts a step
/// records are kept in ``journal`` (as the engine keeps them in the state store) and handed to
/// every later context, so a rollback sees what its run recorded.
public struct RotationFixture {
    public let definition: SecretDefinition
    public let store: LocalSecretStore
    public let folder: URL
    public let oldVersion: String
    public let newVersion: String
    public let logs: RecordingLogs
    public let journal: FactJournal

    public static func make(secret: String, strategy: String? = nil) async throws -> RotationFixture {
        var definition = try InventoryLoader.load(directory: repositoryCommands).definition(named: secret)!
        if let strategy { definition.strategy = strategy }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aegis-store-\(UUID().uuidString)")
        let store = LocalSecretStore(root: folder)
        let generate = try #require(definition.steps.first { $0.kind == .generate })
        let format = try SecretGenerator.format(of: generate)
        let oldVersion = SecretGenerator.versionID()
        try await store.putPending(secret: definition.storage, versionID: oldVersion, value: try SecretGenerator.generate(format))
        try await store.makeCurrent(secret: definition.storage, versionID: oldVersion)
        let newVersion = SecretGenerator.versionID()
        try await store.putPending(secret: definition.storage, versionID: newVersion, value: try SecretGenerator.generate(format))
        return RotationFixture(definition: definition, store: store, folder: folder, oldVersion: oldVersion, newVersion: newVersion, logs: RecordingLogs(),
                               journal: FactJournal([FactKey.oldVersion: oldVersion, FactKey.newVersion: newVersion]))
    }

    public func value(_ version: String) async throws -> SecretValue {
        try #require(try await store.value(secret: definition.storage, versionID: version))
    }

    public var oldValue: SecretValue { get async throws { try await value(oldVersion) } }
    public var newValue: SecretValue { get async throws { try await value(newVersion) } }

    /// Plaintexts the test must never find in any output.
    public var secrets: [String] { get async throws { [try await oldValue.revealSecretString(), try await newValue.revealSecretString()] } }

    /// The plan step named `name`, with parameters replaced (a per-test user or role).
    public func plannedStep(_ name: String, parameters: [String: String] = [:]) throws -> PlannedStep {
        let plan = PlanBuilder(environment: .production, settings: RotationSettings()).plan(for: definition, leaked: false)
        var step = try #require(plan.steps.first { $0.name == name })
        for (key, value) in parameters { step.definition.parameters[key] = .text(value) }
        return step
    }

    /// The context the engine would hand the step: the journal's facts, or `facts` when given
    /// (a context from an earlier point of the rotation).
    public func context(_ step: PlannedStep, facts: [String: String]? = nil) -> StepContext {
        let plan = PlanBuilder(environment: .production, settings: RotationSettings()).plan(for: definition, leaked: false)
        let record = RotationRecord(
            id: "R-1", number: 1, secretID: definition.id, requester: "alice", reason: "test", leaked: false, status: .running,
            plan: plan, planDigest: plan.digest, requestedAt: Date(), expiresAt: Date().addingTimeInterval(1800),
            decidedBy: "carol", origin: ChatOrigin(channel: "ops"),
            facts: facts ?? journal.facts)
        let journal = self.journal
        return StepContext(
            rotation: record, step: step, definition: definition, store: store, target: nil,
            checks: CheckRegistry(runners: [:]), settings: RotationSettings(), logger: logs.logger(),
            recordFacts: { new in journal.record(new) }, announce: { _ in },
            cleanupNow: { _ in "nothing" })
    }

    public func checkContext(expecting version: String) -> CheckContext {
        CheckContext(definition: definition, store: store, target: nil, expectedCurrentVersion: version,
                     settings: RotationSettings(), logger: logs.logger())
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Everything logged through loggers it made, at trace level, so a test can prove no secret was logged.
public final class RecordingLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    public func logger() -> Logger {
        var logger = Logger(label: "aegis-test") { _ in RecordingHandler(logs: self) }
        logger.logLevel = .trace
        return logger
    }

    public func append(_ line: String) { lock.withLock { lines.append(line) } }
    public var text: String { lock.withLock { lines.joined(separator: "\n") } }
}

public struct RecordingHandler: LogHandler {
    public let logs: RecordingLogs
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append("\(event.level) \(event.message) \(merged)")
    }
}

/// Records an issue when any secret, whole or its first 16 characters, occurs in `text`. Neither
/// the text nor the secret is printed: a failing `#expect(!text.contains(secret))` would show the
/// secret in the test output.
public func expectNoSecret(_ text: String, _ secrets: [String], in place: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let pieces = secrets.flatMap { [$0, String($0.prefix(16))] }.filter { !$0.isEmpty }
    let found = pieces.filter { text.contains($0) }.count
    #expect(found == 0, "\(found) secret value(s) or pieces appear in \(place)", sourceLocation: sourceLocation)
}

/// The rotation's facts as the engine's state store would keep them.
public final class FactJournal: Sendable {
    let storage: Mutex<[String: String]>

    public init(_ initial: [String: String]) { storage = Mutex(initial) }

    public var facts: [String: String] { storage.withLock { $0 } }

    /// Merges `new` in and returns all facts after the write.
    public func record(_ new: [String: String]) -> [String: String] {
        storage.withLock { facts in
            facts.merge(new) { $1 }
            return facts
        }
    }
}
