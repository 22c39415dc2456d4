import Foundation
import Logging

/// Runs one kind of step. `run` and `rollback` must be idempotent: after a crash the engine runs
/// a step again from its start, and a rollback again from its start.
public protocol StepExecutor: Sendable {
    /// Does the step; returns a one-line summary that is safe to post.
    func run(_ context: StepContext) async throws -> String
    /// Undoes the step; returns what was restored (safe to post), or nil when there was nothing to undo.
    func rollback(_ context: StepContext) async throws -> String?
}

/// Everything a step may use. Facts are the rotation's non-secret journal.
public struct StepContext: Sendable {
    public var rotation: RotationRecord
    public var step: PlannedStep
    public var definition: SecretDefinition
    public var store: any SecretStore
    public var target: (any DeployTarget)?
    public var checks: CheckRegistry
    public var settings: RotationSettings
    public var logger: Logger
    /// Writes facts to the state store *now* (before the side effect that depends on them) and
    /// returns all facts after the write.
    public var recordFacts: @Sendable ([String: String]) async throws -> [String: String]
    /// Posts something for people: a note or a verification report.
    public var announce: @Sendable (StepAnnouncement) async -> Void
    /// Runs the grace clean-up now (a leak response has no grace).
    public var cleanupNow: @Sendable ([String]) async throws -> String

    public var facts: [String: String] { rotation.facts }

    public func requireTarget() throws -> (any DeployTarget, DeployLocation) {
        guard let target, let location = definition.deploy else {
            throw StepError.misconfigured("\(definition.id) has no deploy target for step '\(step.name)'")
        }
        return (target, location)
    }

    /// Records the store's current version as the rotation's old version (once), before any new
    /// version exists; returns the facts after it. Every step that brings a new version starts here.
    public func recordOldVersion() async throws -> [String: String] {
        guard facts[FactKey.oldVersion] == nil else { return facts }
        let secret = definition.storage
        guard let current = try await store.version(secret: secret, stage: .current) else {
            throw StepError.storeInconsistent("\(secret.name) has no current version to rotate from; seed it first")
        }
        return try await recordFacts([FactKey.oldVersion: current.versionID])
    }

    /// The value of `version`, read from the store (the only place a value lives). Missing, the
    /// store and the rotation's journal disagree; `role` ("old key", "new token") says which.
    public func storedValue(version: String, role: String) async throws -> SecretValue {
        guard let value = try await store.value(secret: definition.storage, versionID: version) else {
            throw StepError.storeInconsistent("the \(role) (version \(version)) is missing from \(definition.storage.displayName)")
        }
        return value
    }

    /// The value of the version the fact `key` names (``FactKey/oldVersion``, ``FactKey/newVersion``).
    public func storedValue(fact key: String, role: String) async throws -> SecretValue {
        try await storedValue(version: try requireFact(key), role: role)
    }

    public func requireFact(_ key: String) throws -> String {
        guard let value = rotation.facts[key] else {
            throw StepError.misconfigured("step '\(step.name)' needs '\(key)', which no earlier step recorded")
        }
        return value
    }
}

public enum StepAnnouncement: Sendable {
    case note(String)
    case verification(VerificationReport)
    /// A human must hand over the new key.
    case keyRequest(KeyRequest)
}

/// Failures a step raises itself. Safe to post.
public enum StepError: Error, Sendable, CustomStringConvertible {
    case misconfigured(String)
    case verificationFailed(VerificationReport)
    case storeInconsistent(String)
    case refused(String)

    public var description: String {
        switch self {
        case .misconfigured(let text): "misconfigured: \(text)"
        case .verificationFailed(let report):
            "verification failed: " + report.results.filter { $0.status == .failed }.map { "\($0.title) (\($0.detail))" }.joined(separator: "; ")
        case .storeInconsistent(let text): "store inconsistent: \(text)"
        case .refused(let text): text
        }
    }
}
