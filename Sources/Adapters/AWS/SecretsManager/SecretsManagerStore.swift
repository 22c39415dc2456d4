import AegisCore
import Foundation

/// AWS Secrets Manager as core's `SecretStore`: versions are Secrets Manager versions, the
/// core's `current` / `previous` / `pending` are the `AWSCURRENT` / `AWSPREVIOUS` /
/// `AWSPENDING` staging labels, and the core's version ID is the `ClientRequestToken`, so a
/// re-run step after a crash writes the same version again (a no-op).
///
/// The `SecretStore` methods throw core's `AdapterError` (the engine retries the transient
/// ones); the extra operations (`createSecret`, `rotateSecret`, `describe`) throw `AWSError`.
///
/// Values are always read by `VersionId` (or an explicit `VersionStage`), never by default:
/// moto answers a bare `GetSecretValue` with a stale value after a stage move.
public struct SecretsManagerStore: SecretStore {
    let client: AWSClient
    static let service = AWSService.secretsManager

    public init(client: AWSClient) { self.client = client }

    // MARK: SecretStore

    public func putPending(secret: StorageLocation, versionID: String, value: SecretValue) async throws {
        try await adapting {
            let existing = try await listVersions(secret.name)
            if let version = existing.first(where: { $0.versionID == versionID }) {
                // Already written (a re-run). Put the pending label back if a rollback took it
                // away, unless the version has since become current.
                if version.stages.contains(.current) || version.stages.contains(.pending) { return }
                let holder = existing.first { $0.stages.contains(.pending) }?.versionID
                try await updateStage(secret.name, stage: .pending, moveTo: versionID, removeFrom: holder)
                return
            }
            let _: SecretVersionOutput = try await client.json(
                Self.service, operation: "PutSecretValue",
                input: PutSecretValueInput(SecretId: secret.name, ClientRequestToken: versionID,
                                           SecretString: WireSecret(value), VersionStages: [SecretStage.pending.awsLabel]))
        }
    }

    public func value(secret: StorageLocation, versionID: String) async throws -> SecretValue? {
        try await adapting {
            do {
                let output: GetSecretValueOutput = try await client.json(
                    Self.service, operation: "GetSecretValue",
                    input: GetSecretValueInput(SecretId: secret.name, VersionId: versionID, VersionStage: nil))
                return output.SecretString?.value ?? output.SecretBinary?.value
            } catch let error as AWSError where error.code == "ResourceNotFoundException" {
                return nil
            }
        }
    }

    public func versions(secret: StorageLocation) async throws -> [SecretVersionInfo] {
        try await adapting { try await listVersions(secret.name) }
    }

    public func makeCurrent(secret: StorageLocation, versionID: String) async throws {
        try await adapting {
            let versions = try await listVersions(secret.name)
            guard let target = versions.first(where: { $0.versionID == versionID }) else {
                throw AWSError(kind: .service, service: Self.service.signingName, operation: "UpdateSecretVersionStage",
                               code: "ResourceNotFoundException", message: "\(secret.name) has no version \(versionID)")
            }
            let current = versions.first { $0.stages.contains(.current) }?.versionID
            if current != versionID {
                // AWSPREVIOUS follows AWSCURRENT to the version that held it.
                try await updateStage(secret.name, stage: .current, moveTo: versionID, removeFrom: current)
            }
            if target.stages.contains(.pending) {
                try await updateStage(secret.name, stage: .pending, moveTo: nil, removeFrom: versionID)
            }
        }
    }

    public func discardPending(secret: StorageLocation, versionID: String) async throws {
        try await adapting {
            let versions = try await listVersions(secret.name)
            guard versions.first(where: { $0.versionID == versionID })?.stages.contains(.pending) == true else { return }
            try await updateStage(secret.name, stage: .pending, moveTo: nil, removeFrom: versionID)
        }
    }

    // MARK: Secrets Manager beyond SecretStore

    /// Creates a secret whose first version (`versionID`) is `AWSCURRENT`. Returns its ARN.
    @discardableResult
    public func createSecret(name: String, versionID: String, value: SecretValue, description: String? = nil) async throws(AWSError) -> String? {
        let output: SecretVersionOutput = try await client.json(
            Self.service, operation: "CreateSecret",
            input: CreateSecretInput(Name: name, ClientRequestToken: versionID, SecretString: WireSecret(value), Description: description))
        return output.ARN
    }

    /// Starts Secrets Manager's own rotation (its Lambda); returns the new version's ID.
    @discardableResult
    public func rotateSecret(secret: StorageLocation, clientRequestToken: String? = nil, rotateImmediately: Bool? = nil) async throws(AWSError) -> String? {
        let output: SecretVersionOutput = try await client.json(
            Self.service, operation: "RotateSecret",
            input: RotateSecretInput(SecretId: secret.name, ClientRequestToken: clientRequestToken, RotateImmediately: rotateImmediately))
        return output.VersionId
    }

    /// Rotation dates, whether rotation is on, and every version's labels.
    public func describe(secret: StorageLocation) async throws(AWSError) -> SecretDescription {
        let output: DescribeSecretOutput = try await client.json(
            Self.service, operation: "DescribeSecret", input: DescribeSecretInput(SecretId: secret.name))
        return SecretDescription(name: output.Name, arn: output.ARN, rotationEnabled: output.RotationEnabled ?? false,
                                 lastRotatedDate: output.LastRotatedDate, lastChangedDate: output.LastChangedDate,
                                 versionIDsToStages: output.VersionIdsToStages ?? [:])
    }

    /// The later of `DescribeSecret`'s `LastRotatedDate` (a managed rotation, also one run outside
    /// the bot) and the creation of the `AWSCURRENT` version (a value put and promoted by hand or
    /// by the bot); `LastChangedDate` only when neither is known, since it also moves on tag and
    /// description edits, which rotate nothing.
    public func lastRotation(secret: StorageLocation) async throws -> Date? {
        try await adapting {
            let description = try await describe(secret: secret)
            let current = try await listVersions(secret.name).first { $0.stages.contains(.current) }?.createdAt
            let candidates = [description.lastRotatedDate, current].compactMap { $0 }
            return candidates.max() ?? description.lastChangedDate
        }
    }

    /// A value by staging label (e.g. `AWSCURRENT`), asked for explicitly.
    public func value(secret: StorageLocation, stage: SecretStage) async throws(AWSError) -> SecretValue? {
        let output: GetSecretValueOutput = try await client.json(
            Self.service, operation: "GetSecretValue",
            input: GetSecretValueInput(SecretId: secret.name, VersionId: nil, VersionStage: stage.awsLabel))
        return output.SecretString?.value ?? output.SecretBinary?.value
    }

    // MARK: Helpers

    func listVersions(_ secretID: String) async throws(AWSError) -> [SecretVersionInfo] {
        var versions: [SecretVersionInfo] = []
        var nextToken: String?
        var pages = 0
        repeat {
            let page: ListSecretVersionIdsOutput = try await client.json(
                Self.service, operation: "ListSecretVersionIds",
                input: ListSecretVersionIdsInput(SecretId: secretID, IncludeDeprecated: true, MaxResults: 100, NextToken: nextToken))
            for version in page.Versions ?? [] {
                let stages = Set((version.VersionStages ?? []).compactMap { SecretStage(awsLabel: $0) })
                versions.append(SecretVersionInfo(versionID: version.VersionId, createdAt: version.CreatedDate, stages: stages))
            }
            // An empty or repeated token ends the listing (moto answers with a token even on
            // the last page); 100 pages of 100 versions is far past Secrets Manager's limit.
            let previous = nextToken
            nextToken = page.NextToken.flatMap { $0.isEmpty || $0 == previous ? nil : $0 }
            pages += 1
        } while nextToken != nil && pages < 100
        return versions.sorted { ($0.createdAt ?? .distantPast) < ($1.createdAt ?? .distantPast) }
    }

    func updateStage(_ secretID: String, stage: SecretStage, moveTo: String?, removeFrom: String?) async throws(AWSError) {
        let _: AWSEmpty = try await client.json(
            Self.service, operation: "UpdateSecretVersionStage",
            input: UpdateSecretVersionStageInput(SecretId: secretID, VersionStage: stage.awsLabel,
                                                 MoveToVersionId: moveTo, RemoveFromVersionId: removeFrom))
    }

    /// Runs `body`, turning `AWSError` into core's `AdapterError`.
    func adapting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AWSError {
            throw error.adapterError
        }
    }
}
