import AegisApp
import AegisChat
import AegisCore
import AegisTestServers
import AegisLocalSandbox
import AegisStateSQLite
import Foundation
import Logging
import Synchronization

/// The repository's Commands folder.
let repositoryCommands = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Commands")

/// A fresh temporary folder.
func temporaryDirectory(_ name: String = "aegis") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A copy of the Commands folder with text replaced in one file (RS256, verify-first, …).
func commandsCopy(editing file: String? = nil, _ edits: [(String, String)] = []) throws -> URL {
    let folder = try temporaryDirectory("commands")
    for name in try FileManager.default.contentsOfDirectory(atPath: repositoryCommands.path) {
        var text = try String(contentsOf: repositoryCommands.appendingPathComponent(name), encoding: .utf8)
        if name == file { for (from, to) in edits { text = text.replacingOccurrences(of: from, with: to) } }
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return folder
}

/// Records every event the engine publishes.
actor RecordingSink: RotationEventSink {
    var events: [RotationEvent] = []
    func publish(_ event: RotationEvent) async { events.append(event) }

    func escalations() -> [Escalation] {
        events.compactMap {
            switch $0 {
            case .finished(_, let escalation?), .graceCleanup(_, _, let escalation?): escalation
            default: nil
            }
        }
    }

    func verificationReports() -> [VerificationReport] {
        events.compactMap { if case .verification(_, let report) = $0 { report } else { nil } }
    }

    func count(where predicate: @Sendable (RotationEvent) -> Bool) -> Int { events.filter(predicate).count }

    /// Whether the rotation's outcome (finished, or decided without running) was published.
    func hasFinal(for id: RotationID) -> Bool {
        events.contains {
            switch $0 {
            case .finished(let snapshot, _): snapshot.record.id == id
            case .decided(let snapshot): snapshot.record.id == id && !snapshot.record.status.isOpen
            default: false
            }
        }
    }
}

/// A wall clock the test moves by hand (the engine's ``EngineDependencies/clock``).
final class ManualClock: WallClock {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(by interval: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(interval) } }
}

/// An engine on a real SQLite file and a real local sandbox, running in a background task.
struct EngineHarness {
    let folder: URL
    let state: SQLiteStateStore
    let sandbox: LocalSandbox
    let sink: RecordingSink
    let engine: RotationEngine
    let inventory: Inventory
    let runner: Task<Void, Never>

    init(commands: URL = repositoryCommands, settings: RotationSettings = RotationSettings(retryBaseDelay: .milliseconds(10)),
         restartCommand: String? = nil, clock: any WallClock = SystemWallClock()) async throws {
        folder = try temporaryDirectory("engine")
        state = try SQLiteStateStore(path: folder.appendingPathComponent("state.sqlite").path, auditKey: try AuditKey(material: SecretValue(utf8: "test-audit-key-0123456789abcdef-0123456789")))
        sandbox = LocalSandbox(root: folder.appendingPathComponent("local"), restartCommand: restartCommand)
        sink = RecordingSink()
        inventory = try InventoryLoader.load(directory: commands)
        let steps = LocalSandbox.steps(.builtIn(state: state))
        engine = RotationEngine(EngineDependencies(
            inventory: inventory, state: state, adapters: sandbox,
            approvers: StaticApproverDirectory(groupName: "security-ops", members: ["carol", "dave"]),
            events: sink, steps: steps, checks: .builtIn(sandbox: true), settings: settings,
            environment: .local, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clock: clock))
        _ = try await sandbox.seed(inventory, runnable: Set(steps.executors.keys))
        let engine = self.engine
        runner = Task { try? await engine.run() }
    }

    func stop() { runner.cancel() }

    /// Requests and approves; returns the rotation ID.
    func requestAndApprove(_ secret: String, leaked: Bool = false) async throws -> RotationID {
        guard case .created(let snapshot) = try await engine.request(secretName: secret, requester: "alice", reason: "test",
                                                                     leaked: leaked, channel: "ops") else {
            throw TestFailure("request was not created")
        }
        guard case .accepted = try await engine.approve(rotationID: snapshot.record.id, user: "carol") else {
            throw TestFailure("approval refused")
        }
        return snapshot.record.id
    }

    /// Waits until the rotation reaches a final status (bounded).
    func finished(_ id: RotationID, timeout: Duration = .seconds(90)) async throws -> RotationRecord {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let record = try await state.rotation(id: id), !record.status.isOpen {
                // The engine records the outcome, then publishes it: wait (bounded) for the event
                // too, so a test reading the sink right after this does not race the publish.
                let published = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < published, !(await sink.hasFinal(for: id)) { try await Task.sleep(for: .milliseconds(20)) }
                return record
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("rotation \(id) did not finish in time")
    }

    func definition(_ id: String) -> SecretDefinition { inventory.definition(named: id)! }

    func config(_ secret: String) async throws -> [String: String] {
        try await sandbox.target.readConfig(definition(secret).deploy!).mapValues { $0.revealSecretString() }
    }

    func stage(_ secret: String, _ stage: SecretStage) async throws -> String? {
        try await sandbox.store.version(secret: definition(secret).storage, stage: stage)?.versionID
    }

    func value(_ secret: String, _ version: String) async throws -> String? {
        try await sandbox.store.value(secret: definition(secret).storage, versionID: version)?.revealSecretString()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
