import AegisTestServers
import AegisAWS
import AegisCore
import Foundation
import Testing

/// `SecretsManagerStore` against moto with signature checking on.
@Suite("moto: Secrets Manager as a SecretStore", .timeLimit(.minutes(2)))
struct MotoSecretsManagerTests {
    static func newVersion() -> String { "v-" + UUID().uuidString.lowercased() }

    @Test("lastRotation for due: the current version's creation, then RotateSecret's date")
    func lastRotationDate() async throws {
        try await MotoServer.withMoto { moto in
            let store = SecretsManagerStore(client: try moto.client())
            let secret = StorageLocation(kind: .awsSecretsManager, name: "aegis/due-\(UUID().uuidString)")
            let v1 = Self.newVersion(), v2 = Self.newVersion()
            try await store.createSecret(name: secret.name, versionID: v1, value: SecretValue(utf8: "value-one"))
            let created = try #require(try await store.lastRotation(secret: secret))
            #expect(abs(created.timeIntervalSinceNow) < 60)

            try await Task.sleep(for: .milliseconds(1_100))
            try await store.putPending(secret: secret, versionID: v2, value: SecretValue(utf8: "value-two"))
            // (AWS keeps each version's CreatedDate; moto reports every version's as the time of the
            // newest put, so "a pending version does not count" cannot be shown against moto.)

            try await store.makeCurrent(secret: secret, versionID: v2)
            let promoted = try #require(try await store.lastRotation(secret: secret))
            #expect(promoted > created, "the promoted version's creation counts")

            try await Task.sleep(for: .milliseconds(1_100))
            try await store.rotateSecret(secret: secret, rotateImmediately: true)
            let description = try await store.describe(secret: secret)
            let rotated = try #require(description.lastRotatedDate, "moto records the rotation date")
            let afterRotation = try #require(try await store.lastRotation(secret: secret))
            #expect(afterRotation >= rotated && afterRotation > promoted)
        }
    }

    @Test("create, put pending, read by version, promote, discard, idempotent re-put")
    func storeFlow() async throws {
        try await MotoServer.withMoto { moto in
            let store = SecretsManagerStore(client: try moto.client())
            let secret = StorageLocation(kind: .awsSecretsManager, name: "prod/aegis/jwt-signing-key")
            let v1 = Self.newVersion(), v2 = Self.newVersion(), v3 = Self.newVersion()

            try await store.createSecret(name: secret.name, versionID: v1, value: SecretValue(utf8: "value-one"))
            var versions = try await store.versions(secret: secret)
            #expect(versions.map(\.versionID) == [v1])
            #expect(versions.first?.stages == [.current])

            try await store.putPending(secret: secret, versionID: v2, value: SecretValue(utf8: "value-two"))
            try await store.putPending(secret: secret, versionID: v2, value: SecretValue(utf8: "value-two"))  // a re-run
            versions = try await store.versions(secret: secret)
            #expect(versions.count == 2)
            #expect(Self.stages(versions, v1) == [.current])
            #expect(Self.stages(versions, v2) == [.pending])
            #expect(try await store.value(secret: secret, versionID: v2)?.revealSecretString() == "value-two")
            #expect(try await store.value(secret: secret, versionID: v1)?.revealSecretString() == "value-one")
            #expect(try await store.value(secret: secret, versionID: Self.newVersion()) == nil)

            try await store.makeCurrent(secret: secret, versionID: v2)
            versions = try await store.versions(secret: secret)
            #expect(Self.stages(versions, v2) == [.current])
            #expect(Self.stages(versions, v1) == [.previous])
            #expect(try await store.value(secret: secret, stage: .current)?.revealSecretString() == "value-two")
            #expect(try await store.value(secret: secret, stage: .previous)?.revealSecretString() == "value-one")

            try await store.makeCurrent(secret: secret, versionID: v2)  // already current: no-op
            #expect(try await store.versions(secret: secret).map { Self.stages($0) } == versions.map { Self.stages($0) })

            try await store.putPending(secret: secret, versionID: v3, value: SecretValue(utf8: "value-three"))
            #expect(Self.stages(try await store.versions(secret: secret), v3) == [.pending])
            try await store.discardPending(secret: secret, versionID: v3)
            versions = try await store.versions(secret: secret)
            #expect(Self.stages(versions, v3) == [])
            #expect(Self.stages(versions, v2) == [.current])
            try await store.discardPending(secret: secret, versionID: v3)  // nothing to discard: no-op

            let description = try await store.describe(secret: secret)
            #expect(description.name == secret.name)
            #expect(description.versionIDsToStages[v2]?.contains("AWSCURRENT") == true)
            #expect(description.versionIDsToStages[v1]?.contains("AWSPREVIOUS") == true)
            #expect(description.lastChangedDate != nil)

            await #expect(throws: AdapterError.self) {
                try await store.makeCurrent(secret: secret, versionID: Self.newVersion())
            }
        }
    }

    @Test("RotateSecret starts Secrets Manager's own rotation and DescribeSecret reports it")
    func rotateAndDescribe() async throws {
        try await MotoServer.withMoto { moto in
            let store = SecretsManagerStore(client: try moto.client())
            let secret = StorageLocation(kind: .awsSecretsManager, name: "prod/aegis/api-token")
            try await store.createSecret(name: secret.name, versionID: Self.newVersion(), value: SecretValue(utf8: "token-one"))
            let token = Self.newVersion()
            let rotated = try await store.rotateSecret(secret: secret, clientRequestToken: token, rotateImmediately: false)
            #expect(rotated == token)
            let description = try await store.describe(secret: secret)
            #expect(description.versionIDsToStages[token] != nil)
            #expect(description.lastRotatedDate != nil)
            #expect(description.rotationEnabled == false)  // no rotation Lambda is configured
        }
    }

    static func stages(_ versions: [SecretVersionInfo], _ id: String) -> Set<SecretStage> {
        versions.first { $0.versionID == id }?.stages ?? []
    }

    static func stages(_ version: SecretVersionInfo) -> String {
        "\(version.versionID):\(version.stages.map(\.rawValue).sorted())"
    }
}
