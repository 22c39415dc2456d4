import AegisCore
import Foundation

/// `aws-managed-rotation` (param `timeout`, default 10m): Secrets Manager rotates the secret with
/// its own rotation Lambda; the bot starts it and follows the version stages.
///
/// The rotation's version ID is a fact before `RotateSecret` and is its `ClientRequestToken`, so
/// the Lambda stages exactly that version as `AWSPENDING` and, when done, moves `AWSCURRENT` to
/// it. The step passes when that version is `AWSCURRENT` *and* reads back a value (then it is the
/// rotation's new version). When the timeout passes first, or `AWSCURRENT` lands on a version
/// without a value, auto-rotation failed: a non-transient error the runbook escalates.
/// A re-run after a crash does not start a second rotation once the version exists; it follows.
public struct AWSManagedRotationStep: StepExecutor {
    public static let rotationVersionFact = "aws.rotation.version"
    public static let defaultTimeout: Duration = .seconds(600)

    let store: SecretsManagerStore
    let pollInterval: Duration
    let startRotation: (@Sendable (StorageLocation, String) async throws -> Void)?

    /// - Parameter startRotation: starts the rotation with the given token; by default
    ///   `RotateSecret` with `RotateImmediately: true`. Tests stand in for the Lambda here.
    public init(store: SecretsManagerStore, pollInterval: Duration = .seconds(2),
                startRotation: (@Sendable (StorageLocation, String) async throws -> Void)? = nil) {
        self.store = store
        self.pollInterval = pollInterval
        self.startRotation = startRotation
    }

    func start(_ secret: StorageLocation, token: String) async throws {
        if let startRotation { return try await startRotation(secret, token) }
        _ = try await aws { () throws(AWSError) in
            try await store.rotateSecret(secret: secret, clientRequestToken: token, rotateImmediately: true)
        }
    }

    public func run(_ context: StepContext) async throws -> String {
        let secret = context.definition.storage
        let timeout = try context.step.definition.text("timeout").map { try DurationText.parse($0) } ?? Self.defaultTimeout
        var facts = try await context.recordOldVersion()
        // The facts `recordOldVersion` returned: `context.facts` is the snapshot from before it.
        guard let oldVersion = facts[FactKey.oldVersion] else { throw StepError.storeInconsistent("no old version recorded") }
        let version: String
        if let recorded = facts[Self.rotationVersionFact] {
            version = recorded
        } else {
            version = SecretGenerator.versionID()
            facts = try await context.recordFacts([Self.rotationVersionFact: version])
        }
        if try await describe(secret).versionIDsToStages[version] == nil {
            try await start(secret, token: version)
        }
        let deadline = ContinuousClock.now + timeout
        var seenPending = false
        while true {
            let stages = try await describe(secret).versionIDsToStages
            let labels = stages[version] ?? []
            seenPending = seenPending || labels.contains(SecretStage.pending.awsLabel)
            if labels.contains(SecretStage.current.awsLabel) {
                guard let value = try await context.store.value(secret: secret, versionID: version), !value.isEmpty else {
                    throw StepError.refused("auto-rotation failed: version \(version) of \(secret.name) became AWSCURRENT without a value " +
                                            "(did the rotation Lambda run?); old version \(oldVersion)")
                }
                _ = try await context.recordFacts([FactKey.newVersion: version])
                return "Secrets Manager rotated \(secret.name): AWSCURRENT = \(version)" +
                    (seenPending ? " (followed from AWSPENDING)" : "") + ", previous = \(oldVersion)"
            }
            guard ContinuousClock.now < deadline else {
                let state = labels.isEmpty ? "no stage" : labels.sorted().joined(separator: ", ")
                throw StepError.refused("auto-rotation failed: version \(version) of \(secret.name) did not become AWSCURRENT " +
                                        "within \(DurationText.format(timeout)) (it holds \(state)); old version \(oldVersion)")
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Moves `AWSCURRENT` back to the old version and takes `AWSPENDING` off the rotation's.
    public func rollback(_ context: StepContext) async throws -> String? {
        guard let version = context.facts[Self.rotationVersionFact] else { return nil }
        let secret = context.definition.storage
        let oldVersion = try context.requireFact(FactKey.oldVersion)
        var done: [String] = []
        if try await context.store.version(secret: secret, stage: .current)?.versionID != oldVersion {
            try await context.store.makeCurrent(secret: secret, versionID: oldVersion)
            done.append("AWSCURRENT moved back to \(oldVersion)")
        }
        if try await context.store.version(secret: secret, stage: .pending)?.versionID == version {
            try await context.store.discardPending(secret: secret, versionID: version)
            done.append("AWSPENDING taken off \(version)")
        }
        return done.isEmpty ? nil : "\(secret.name): " + done.joined(separator: ", ")
    }

    func describe(_ secret: StorageLocation) async throws -> SecretDescription {
        try await aws { () throws(AWSError) in try await store.describe(secret: secret) }
    }

    func aws<T>(_ body: () async throws(AWSError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}
