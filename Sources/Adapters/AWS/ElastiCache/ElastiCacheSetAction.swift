import AegisCore
import Foundation

/// The durable timer's half of `elasticache-auth-token` `phase: set`: after the grace period,
/// `SET` the group's AUTH token to the rotation's new token, which drops the old one. The token is
/// read from Secrets Manager by version ID when the timer fires (the payload holds no value), and
/// only while that version is still `AWSCURRENT`: a later rotation's token is never replaced by
/// an older one.
public struct ElastiCacheSetAction: DeferredAction {
    public static let name = "elasticache-set-auth-token"

    let groups: ElastiCacheReplicationGroups
    let store: SecretsManagerStore
    let pollInterval: Duration

    public init(groups: ElastiCacheReplicationGroups, store: SecretsManagerStore, pollInterval: Duration) {
        self.groups = groups
        self.store = store
        self.pollInterval = pollInterval
    }

    public static func timerID(rotationID: RotationID, step: String) -> String { "elasticache-set-\(rotationID)-\(step)" }

    static func timer(id: String, rotationID: RotationID, dueAt: Date, group: String, secretName: String, versionID: String) -> TimerRecord {
        DeferredActionRegistry.timer(id: id, action: name, rotationID: rotationID, dueAt: dueAt,
                                     payload: ["replication_group": group, "secret_name": secretName, "version_id": versionID])
    }

    public func perform(payload: [String: String]) async throws -> String {
        guard let group = payload["replication_group"], let name = payload["secret_name"], let version = payload["version_id"] else {
            throw StepError.misconfigured("the ElastiCache SET timer lacks replication_group, secret_name or version_id")
        }
        let location = StorageLocation(kind: .awsSecretsManager, name: name)
        guard try await store.version(secret: location, stage: .current)?.versionID == version else {
            return "left \(group)'s tokens alone: version \(version) is no longer AWSCURRENT of \(name) (a later rotation owns the token)"
        }
        guard let token = try await store.value(secret: location, versionID: version) else {
            throw StepError.storeInconsistent("version \(version) of \(name) is missing from the store")
        }
        let step = ElastiCacheAuthTokenStep(groups: groups, pollInterval: pollInterval, scheduleSet: { _ in }, cancelSet: { _ in })
        _ = try await step.waitAvailable(group, timeout: ElastiCacheAuthTokenStep.defaultTimeout)
        do {
            _ = try await groups.modifyAuthToken(group, token: token, strategy: .set)
        } catch where error.code == "InvalidParameterCombination" {
            // SET is refused unless a ROTATE came before it: a SET of ours already ran (the timer
            // fired again after a crash), so the group holds one token.
            return "\(group) already holds only the new token"
        } catch {
            throw error.adapterError
        }
        _ = try await step.waitAvailable(group, timeout: ElastiCacheAuthTokenStep.defaultTimeout)
        return "SET \(group)'s AUTH token to version \(version) after the grace period; the old token no longer works"
    }
}
