import AegisAWS
import AegisCore
@testable import AegisPostgres
import AegisRedis
import AegisTestServers
import Foundation
import KubernetesFake
import Logging
import PostgresNIO

/// Reading what a run left behind, with the same adapters the bot uses but the test's own
/// admin credentials: store stages and values, the configmap, the deployment, logins.
extension Scenario {
    var store: SecretsManagerStore { SecretsManagerStore(client: try! moto.client()) }
    var iam: IAMAccessKeys { IAMAccessKeys(client: try! moto.client()) }

    func definition(_ id: String) throws -> SecretDefinition {
        guard let definition = inventory.definition(named: id) else { throw ServerError("no secret \(id) in Commands") }
        return definition
    }

    func version(_ secret: String, _ stage: SecretStage) async throws -> String? {
        try await store.version(secret: try definition(secret).storage, stage: stage)?.versionID
    }

    func value(_ secret: String, _ version: String) async throws -> String? {
        try await store.value(secret: try definition(secret).storage, versionID: version)?.revealSecretString()
    }

    /// The value of the version at `stage`.
    func value(_ secret: String, stage: SecretStage) async throws -> String? {
        guard let version = try await version(secret, stage) else { return nil }
        return try await value(secret, version)
    }

    func configMap() async -> [String: String] {
        await kube.configMap(name: Self.location.configMap) ?? [:]
    }

    /// How many times the deployment was restarted (its `restartedAt` annotation changed).
    func restartCount() async -> Int {
        await kube.requests.filter { $0.method == "PATCH" && $0.path.hasSuffix("/deployments/\(Self.location.deployment)") }.count
    }

    /// Logs in to PostgreSQL as `aegis` with `password` and runs `SELECT 1`.
    func postgresAccepts(_ password: String) async -> Bool {
        let postgres = world.postgres
        let url = PostgresURL(host: "127.0.0.1", port: postgres.port, user: "aegis", password: SecretValue(utf8: password),
                              database: "postgres", tlsMode: .disable)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        guard let connection = try? await PostgresConnection.connect(configuration: try url.configuration(), id: 7, logger: logger) else {
            return false
        }
        var one: Int?
        do {
            for try await number in try await connection.query("SELECT 1", logger: logger).decode(Int.self) { one = number }
        } catch {
            one = nil
        }
        try? await connection.close()
        return one == 1
    }

    /// `AUTH aegis password` then `PING` against the real redis-server.
    func redisAccepts(_ password: String) async -> Bool {
        guard let connection = try? await RedisConnection.connect(to: world.redis.endpoint) else { return false }
        var pong = false
        do {
            try await connection.authenticate(user: "aegis", password: SecretValue(utf8: password))
            pong = try await connection.run(RESPCommand("PING")) == .simpleString("PONG")
        } catch {
            pong = false
        }
        await connection.close()
        return pong
    }

    /// IAM's view of `aegis-api`'s keys: ID → Active/Inactive.
    func iamKeys() async throws -> [String: IAMAccessKeyStatus] {
        Dictionary(uniqueKeysWithValues: try await iam.listAccessKeys(userName: Self.iamUser).map { ($0.accessKeyID, $0.status) })
    }

    /// STS GetCallerIdentity signed with the stored pair of `version` answers with aegis-api.
    func stsAccepts(pairOf version: String) async throws -> Bool {
        guard let stored = try await store.value(secret: try definition("aws-iam-access-keys").storage, versionID: version) else { return false }
        let pair = try IAMAccessKeyPair(stored: stored, versionID: version)
        let identity = try? await STSClient(client: try moto.client()).callerIdentity(credentials: pair.credentials)
        return identity?.arn.hasSuffix(":user/\(Self.iamUser)") == true
    }

    /// Every secret value the scenario made: every version of every secret in the store (IAM
    /// pairs also as their secret access key alone), every configmap value, and the bot's own
    /// credentials.
    func allSecretValues() async throws -> [String] {
        var values: [String] = operatorCredentials
        for id in Self.secrets {
            let secret = try definition(id).storage
            for version in try await store.versions(secret: secret) {
                guard let value = try await store.value(secret: secret, versionID: version.versionID)?.revealSecretString() else { continue }
                values.append(value)
                if let pair = try? IAMAccessKeyPair(stored: SecretValue(utf8: value), versionID: version.versionID) {
                    values.append(pair.secretAccessKey.revealSecretString())
                }
            }
        }
        values += await configMap().filter { !$0.key.hasSuffix("_id") }.map(\.value)
        return Array(Set(values)).filter { $0.count >= 16 }
    }
}
