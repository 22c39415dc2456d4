import AegisAWS
import AegisCore
import AegisTestServers
import Foundation
import NIOHTTP1

/// Strategy `rds-managed` of postgres-password: the RDS fake (`rds_fake.py`) owns DB instance
/// `aegis-db`, whose master user is the shared PostgreSQL's `aegis` role and whose master password
/// RDS manages in a secret `rds!db-…` in the scenario's moto. Creating the instance gives the role a
/// new password (as turning `ManageMasterUserPassword` on does); the application's secret
/// `aegis/db-password` is then seeded with it as a new AWSCURRENT, so store and database agree
/// before the rotation. The fake trusts the bot's AWS key (the scenario's moto admin key, which it
/// also uses for Secrets Manager) and turns a rotation around in about 0.4 s.
struct RDSSetup: Sendable {
    static let instance = "aegis-db"  // the Commands file's db_instance
    let fake: PythonFake
    let secretARN: String
    /// The application secret's AWSCURRENT version after seeding: the rotation's old version.
    let seededVersion: String

    /// The bot's settings: the fake as RDS's endpoint and a quick poll.
    var environment: [String: String] {
        ["AWS_ENDPOINT_URL_RDS": fake.url, "AEGIS_RDS_POLL": "100ms"]
    }

    static func start(_ scenario: Scenario, managed: Bool = true) async throws -> RDSSetup {
        let bot = scenario.environment()
        let postgres = scenario.world.postgres
        let fake = try await PythonFake.start("rds", arguments: [
            "--secrets-endpoint", bot["AWS_ENDPOINT_URL"] ?? "", "--region", "us-east-1",
            "--access-key-id", bot["AWS_ACCESS_KEY_ID"] ?? "", "--secret-access-key", bot["AWS_SECRET_ACCESS_KEY"] ?? "",
            "--pg-port", "\(postgres.port)", "--pg-admin-user", "postgres", "--pg-admin-password", postgres.adminPassword.revealSecretString(),
            "--psql", PostgresTestServer.binFolders[0] + "/psql", "--rotate-seconds", "0.4",
        ])
        do {
            let created = try await fake.control(.POST, "/_fake/db-instances", [
                "id": instance, "master_username": "aegis", "manage_master_user_password": managed,
            ]) as? [String: Any] ?? [:]
            let definition = try scenario.definition("postgres-password")
            let seeded = SecretGenerator.versionID()
            let arn = created["secret_arn"] as? String ?? ""
            if managed {
                guard !arn.isEmpty, let stored = try await scenario.store.value(secret: StorageLocation(kind: .awsSecretsManager, name: arn), stage: .current) else {
                    throw ServerError("the RDS fake created no master secret: \(created)")
                }
                let credentials = try RDSMasterCredentials(stored: stored, secret: arn, versionID: "AWSCURRENT")
                try await scenario.store.putPending(secret: definition.storage, versionID: seeded, value: credentials.password)
                try await scenario.store.makeCurrent(secret: definition.storage, versionID: seeded)
            }
            return RDSSetup(fake: fake, secretARN: arn, seededVersion: managed ? seeded : (scenario.initialVersions["postgres-password"] ?? ""))
        } catch {
            await fake.stop()
            throw error
        }
    }

    func stop() async { await fake.stop() }

    /// The fake's view of the instance: its secret status and the rotations RDS ran.
    func instance() async throws -> [String: Any] {
        try await fake.control(.GET, "/_fake/db-instances/\(Self.instance)") as? [String: Any] ?? [:]
    }

    func rotations() async throws -> [[String: Any]] {
        try await instance()["rotations"] as? [[String: Any]] ?? []
    }

    /// `ModifyDBInstance` calls RDS accepted or refused, in order (`status` 200 = accepted).
    func modifyCalls() async throws -> [Int] {
        let requests = try await fake.control(.GET, "/_fake/requests") as? [[String: Any]] ?? []
        return requests.filter { $0["action"] as? String == "ModifyDBInstance" }.compactMap { $0["status"] as? Int }
    }

    /// The master password RDS holds now (its secret's AWSCURRENT), test only.
    func rdsPassword(_ scenario: Scenario) async throws -> String? {
        guard let stored = try await scenario.store.value(secret: StorageLocation(kind: .awsSecretsManager, name: secretARN), stage: .current) else {
            return nil
        }
        return try RDSMasterCredentials(stored: stored, secret: secretARN, versionID: "AWSCURRENT").password.revealSecretString()
    }
}
