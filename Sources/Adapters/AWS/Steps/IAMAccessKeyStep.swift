import AegisCore
import Foundation

/// `iam-access-key` (params `user`, `phase`): the two-key overlap IAM allows, in three phases a
/// Commands file places around promote / restart / verify:
///
/// - `create`: a new key, stored as the pending version (see ``IAMAccessKeyPair`` for the format);
/// - `deactivate-old`: the old key (read from the old version) becomes `Inactive`;
/// - `delete-old-after-grace`: the old key is deleted, at once when the plan has no grace (a leak
///   response), otherwise handed to `scheduleDeletion` as an ``IAMKeyDeletion`` due after the
///   grace period (a deactivated key can be switched back on until then).
///
/// Facts (written before each side effect) hold access key IDs and version IDs only.
public struct IAMAccessKeyStep: StepExecutor {
    /// Fact keys. Rotation-wide: the later phases read what `create` recorded.
    public enum Fact {
        /// Comma-separated key IDs the user held before `create` (tells our keys from theirs).
        public static let keysBefore = "iam.keys-before"
        public static let newKeyID = "iam.key.new"
        public static let oldKeyID = "iam.key.old"
        public static let oldDeactivated = "iam.key.old.deactivated"
        public static let oldDeletionDue = "iam.key.old.deletion-due"
        public static let oldDeleted = "iam.key.old.deleted"
    }

    public enum Phase: String, Sendable, CaseIterable {
        case create
        case deactivateOld = "deactivate-old"
        case deleteOldAfterGrace = "delete-old-after-grace"
    }

    let iam: IAMAccessKeys
    let scheduleDeletion: @Sendable (IAMKeyDeletion) async throws -> Void
    let cancelDeletion: @Sendable (String) async throws -> Void

    /// - Parameters:
    ///   - iam: IAM, signed by the bot's own identity (not the key being rotated).
    ///   - scheduleDeletion: arms a durable timer that calls ``IAMKeyDeletion/perform(iam:)`` when due.
    ///   - cancelDeletion: disarms it by ``IAMKeyDeletion/id`` (rollback).
    public init(iam: IAMAccessKeys,
                scheduleDeletion: @escaping @Sendable (IAMKeyDeletion) async throws -> Void,
                cancelDeletion: @escaping @Sendable (String) async throws -> Void) {
        self.iam = iam
        self.scheduleDeletion = scheduleDeletion
        self.cancelDeletion = cancelDeletion
    }

    public func run(_ context: StepContext) async throws -> String {
        let user = try Self.user(context)
        switch try Self.phase(context) {
        case .create: return try await create(user: user, context)
        case .deactivateOld: return try await deactivateOld(user: user, context)
        case .deleteOldAfterGrace: return try await deleteOld(user: user, context)
        }
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let user = try Self.user(context)
        switch try Self.phase(context) {
        case .create: return try await undoCreate(user: user, context)
        case .deactivateOld: return try await reactivateOld(user: user, context)
        case .deleteOldAfterGrace: return try await undoDeleteOld(user: user, context)
        }
    }

    static func user(_ context: StepContext) throws -> String {
        guard let user = context.step.definition.text("user"), !user.isEmpty else {
            throw StepError.misconfigured("step '\(context.step.name)' needs the IAM user (param 'user')")
        }
        return user
    }

    static func phase(_ context: StepContext) throws -> Phase {
        guard let text = context.step.definition.text("phase"), let phase = Phase(rawValue: text) else {
            throw StepError.misconfigured("step '\(context.step.name)' needs a phase: " +
                                          Phase.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return phase
    }

    /// The old key's ID: recorded by `create`, else read from the old version's JSON.
    func oldKeyID(_ context: StepContext) async throws -> String {
        if let recorded = context.facts[Fact.oldKeyID] { return recorded }
        let oldVersion = try context.requireFact(FactKey.oldVersion)
        return try await Self.pair(context, version: oldVersion).accessKeyID
    }

    static func pair(_ context: StepContext, version: String) async throws -> IAMAccessKeyPair {
        guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
            throw StepError.storeInconsistent("version \(version) of \(context.definition.storage.name) is missing from the store")
        }
        return try IAMAccessKeyPair(stored: value, versionID: version)
    }

    /// Runs an IAM call, turning `AWSError` into core's `AdapterError` (retried when transient).
    func aws<T>(_ body: () async throws(AWSError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }

    /// Runs an IAM call on one key: true when done, false when the key does not exist
    /// (`NoSuchEntity`: deleted already, e.g. by a run before a crash).
    func onExistingKey(_ body: () async throws(AWSError) -> Void) async throws -> Bool {
        do {
            try await body()
            return true
        } catch {
            if error.code == "NoSuchEntity" { return false }
            throw error.adapterError
        }
    }
}
