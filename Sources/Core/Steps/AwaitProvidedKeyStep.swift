import Foundation

/// `await-provided-key`: a human supplies the new key (a provider makes it only in its console).
/// The step asks the requester in the thread, offering both paths of SPEC §3.4, then waits until
/// a new version is `pending` in the store: put there by the bot from the Slack modal
/// (``RotationEngine/provideKey(rotationID:user:value:)``), or staged by the operator with the
/// store's own tool (e.g. `put-secret-value … --version-stages AWSPENDING`), which never touches
/// Slack. Either way the value only ever lives in the store; the state store records its version ID.
public struct AwaitProvidedKeyStep: StepExecutor {
    public static let requestedFact = "key.requested"
    let pollInterval: Duration
    let timeout: Duration

    public init(pollInterval: Duration = .seconds(1), timeout: Duration = .seconds(1_800)) {
        self.pollInterval = pollInterval
        self.timeout = timeout
    }

    public func run(_ context: StepContext) async throws -> String {
        let secret = context.definition.storage
        let facts = try await context.recordOldVersion()
        if let known = facts[FactKey.newVersion], try await context.store.value(secret: secret, versionID: known) != nil {
            return "new key received as version \(known)"
        }
        if facts[Self.requestedFact] == nil {
            _ = try await context.recordFacts([Self.requestedFact: "yes"])
            await context.announce(.keyRequest(KeyRequest(
                prompt: context.step.definition.text("prompt") ?? "Create the new \(context.definition.title) and hand it to me.",
                consoleURL: context.step.definition.text("console_url"),
                stageCommand: context.step.definition.text("stage_command"))))
        }
        let deadline = ContinuousClock.now + timeout
        let old = facts[FactKey.oldVersion]
        while ContinuousClock.now < deadline {
            if let pending = try await context.store.version(secret: secret, stage: .pending), pending.versionID != old {
                _ = try await context.recordFacts([FactKey.newVersion: pending.versionID])
                return "new key received as version \(pending.versionID) (pending)"
            }
            try await Task.sleep(for: pollInterval)
        }
        throw StepError.refused("no new key arrived within \(DurationText.format(timeout)); nothing was changed")
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        guard let newVersion = context.facts[FactKey.newVersion] else { return nil }
        try await context.store.discardPending(secret: context.definition.storage, versionID: newVersion)
        return "discarded the provided key (version \(newVersion))"
    }
}

/// What the requester is asked for, with both ways to hand the key over.
public struct KeyRequest: Sendable, Hashable {
    public var prompt: String
    public var consoleURL: String?
    public var stageCommand: String?
}
