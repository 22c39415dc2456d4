import Foundation

/// The staging labels of a versioned secret store: the version in use, the one before it, and a
/// new one not yet in use. Each store adapter maps them onto its own vocabulary (Secrets
/// Manager's `AWSCURRENT` / `AWSPREVIOUS` / `AWSPENDING`, Key Vault tags, …).
public enum SecretStage: String, Sendable, Codable, CaseIterable {
    case current
    case previous
    case pending
}

/// What a store says about one version, without its value.
public struct SecretVersionInfo: Sendable, Hashable {
    public var versionID: String
    public var createdAt: Date?
    public var stages: Set<SecretStage>

    public init(versionID: String, createdAt: Date?, stages: Set<SecretStage>) {
        self.versionID = versionID
        self.createdAt = createdAt
        self.stages = stages
    }
}

/// A versioned secret store with staging labels (Secrets Manager, the local sandbox store; Key
/// Vault and 1Password adapters map their versions onto this).
///
/// Every write is idempotent by version ID, so a step re-run after a crash does no harm.
public protocol SecretStore: Sendable {
    /// Adds a version labelled `pending`. The same version ID again is a no-op.
    func putPending(secret: StorageLocation, versionID: String, value: SecretValue) async throws
    func value(secret: StorageLocation, versionID: String) async throws -> SecretValue?
    /// The versions and their labels.
    func versions(secret: StorageLocation) async throws -> [SecretVersionInfo]
    /// Moves `current` to `versionID`; `previous` follows to the version that was current, and
    /// `pending` leaves `versionID`. A no-op when `versionID` is already current.
    func makeCurrent(secret: StorageLocation, versionID: String) async throws
    /// Removes the `pending` label from `versionID` (a rollback before promotion).
    func discardPending(secret: StorageLocation, versionID: String) async throws
    /// When the secret's value last changed as a rotation, for `due`: by default when the current
    /// version was created. Stores that know more (Secrets Manager's rotation date) say so.
    func lastRotation(secret: StorageLocation) async throws -> Date?
}

extension SecretStore {
    public func lastRotation(secret: StorageLocation) async throws -> Date? {
        try await version(secret: secret, stage: .current)?.createdAt
    }

    public func version(secret: StorageLocation, stage: SecretStage) async throws -> SecretVersionInfo? {
        try await versions(secret: secret).first { $0.stages.contains(stage) }
    }
}
