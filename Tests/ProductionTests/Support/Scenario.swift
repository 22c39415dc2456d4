import AegisAPIFake
import AegisAWS
import AegisCore
import AegisPostgres
import AegisRedis
import AegisTestServers
import Foundation
import KubernetesFake

/// One test's production: the shared servers reset to a known state, a fresh Kubernetes API
/// fake and aegis-api fake, a working folder with the Commands files (edited if the test says
/// so), and every secret seeded with an initial version that is deployed and works:
///
/// - Secrets Manager (moto): the four runbook secrets, each with an `AWSCURRENT` version;
/// - Kubernetes: `deployment/aegis-api` and configmap `aegis-config` holding the JWT keys;
/// - PostgreSQL: role `aegis` whose password is the stored one;
/// - Redis: ACL user `aegis` whose password is the stored one;
/// - IAM: user `aegis-api` whose access key is the stored pair.
///
/// `environment` is what `aegis-rotate` runs with (`AEGIS_ENV=production`).
final class Scenario: Sendable {
    static let secrets = ["jwt-signing-key", "postgres-password", "redis-auth-token", "aws-iam-access-keys"]
    static let iamUser = "aegis-api"
    static let location = DeployLocation(namespace: "aegis", deployment: "aegis-api", configMap: "aegis-config")

    let world: ProductionWorld
    let moto: MotoServer
    let kube: KubernetesFake
    let api: AegisAPIFake
    let workspace: Workspace
    let inventory: Inventory
    let kubeToken: String
    /// Initial version ID of each secret, by secret ID.
    let initialVersions: [String: String]

    private init(world: ProductionWorld, moto: MotoServer, kube: KubernetesFake, api: AegisAPIFake, workspace: Workspace,
                 inventory: Inventory, kubeToken: String, initialVersions: [String: String]) {
        self.world = world
        self.moto = moto
        self.kube = kube
        self.api = api
        self.workspace = workspace
        self.inventory = inventory
        self.kubeToken = kubeToken
        self.initialVersions = initialVersions
    }

    /// - Parameter edit: changes to Commands files before anything loads them: file name → a
    ///   function of its text (e.g. switching the JWT strategy or format).
    static func start(edit: [String: @Sendable (String) -> String] = [:]) async throws -> Scenario {
        let world = try ProductionWorld.shared()
        let moto = try await world.moto.reset()
        let workspace = try Workspace()
        for (file, change) in edit {
            let url = workspace.folder.appendingPathComponent("Commands/\(file)")
            try change(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
        }
        let inventory = try InventoryLoader.load(directory: workspace.folder.appendingPathComponent("Commands"))
        let kube = try await KubernetesFake.start()
        let api = try await AegisAPIFake.start()
        let kubeToken = "kube-token-\(UUID().uuidString)"
        await kube.requireToken(kubeToken)
        await kube.setRolloutDuration(.milliseconds(300))
        await kube.addDeployment(name: location.deployment, replicas: 2)
        await kube.setPodLogs(deployment: location.deployment, lines: ["GET /health 200", "GET /api/v1/findings 200"])
        try kube.kubeconfig(token: kubeToken).write(to: workspace.folder.appendingPathComponent("kubeconfig"),
                                                                        atomically: true, encoding: .utf8)
        // The production shell's user is the operating-system user: requests come from `nobody`
        // (``requestAsOperator(_:)``), approvals from root, the one configured shell approver.
        try "shell:\n  approvers: [\(OperatorAccount.approver)]\n".write(to: workspace.folder.appendingPathComponent("aegis-rotate.yaml"),
                                                                      atomically: true, encoding: .utf8)
        try await runProgram(executable("chown", extraFolders: ["/bin", "/usr/bin"]) ?? "/bin/chown",
                             ["-R", "\(OperatorAccount.uid):\(OperatorAccount.uid)", workspace.folder.path])
        let scenario = Scenario(world: world, moto: moto, kube: kube, api: api, workspace: workspace, inventory: inventory,
                                kubeToken: kubeToken, initialVersions: [:])
        let versions = try await scenario.seed()
        return Scenario(world: world, moto: moto, kube: kube, api: api, workspace: workspace, inventory: inventory,
                        kubeToken: kubeToken, initialVersions: versions)
    }

    /// Runs `body` in a new scenario and stops it afterwards, whether `body` passed or threw.
    static func with<T: Sendable>(edit: [String: @Sendable (String) -> String] = [:],
                                  _ body: (Scenario) async throws -> T) async throws -> T {
        let scenario = try await start(edit: edit)
        do {
            let result = try await body(scenario)
            await scenario.stop()
            return result
        } catch {
            await scenario.stop()
            throw error
        }
    }

    func stop() async {
        await kube.stop()
        await api.stop()
        try? FileManager.default.removeItem(at: workspace.folder)
    }

    /// What `aegis-rotate` (shell or bot) runs with. `extra` wins.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        let postgres = world.postgres
        var environment = [
            "AEGIS_ENV": "production",
            "AWS_ENDPOINT_URL": moto.endpoint.absoluteString, "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": moto.admin.accessKeyID, "AWS_SECRET_ACCESS_KEY": moto.admin.secretAccessKey.revealSecretString(),
            "KUBECONFIG": workspace.folder.appendingPathComponent("kubeconfig").path,
            "DATABASE_URL": "postgres://postgres:\(postgres.adminPassword.revealSecretString())@127.0.0.1:\(postgres.port)/postgres?sslmode=disable",
            "REDIS_URL": "redis://127.0.0.1:\(world.redis.port)",
            "AEGIS_API_URL": api.baseURL, "AEGIS_API_TOKEN": "test-api-token",
            "AEGIS_JWT_GRACE": "1h", "AEGIS_IAM_GRACE": "1h", "AEGIS_LOG_SCAN_WINDOW": "1m",
            "AEGIS_TIMER_POLL": "100ms", "AEGIS_RETRY_BASE": "50ms", "AEGIS_AUDIT_KEY": Self.auditKey,
        ]
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// The settings that are themselves credentials (the bot's own), for leak scans.
    /// The audit chain's key the scenario's bot runs with (production requires one).
    static let auditKey = "scenario-audit-key-\(UUID().uuidString)"

    var operatorCredentials: [String] {
        [moto.admin.secretAccessKey.revealSecretString(), world.postgres.adminPassword.revealSecretString(), kubeToken, Self.auditKey]
    }

    // MARK: - Seeding

    private func seed() async throws -> [String: String] {
        var versions: [String: String] = [:]
        let store = self.store
        var config: [String: String] = [:]
        for id in Self.secrets {
            let definition = try self.definition(id)
            let version = SecretGenerator.versionID()
            let value: SecretValue
            if id == "aws-iam-access-keys" {
                value = try await seedIAMUser()
            } else {
                let generate = try requireStep(definition, .generate)
                value = try SecretGenerator.generate(try SecretGenerator.format(of: generate))
            }
            _ = try await store.createSecret(name: definition.storage.name, versionID: version, value: value)
            versions[id] = version
            if let deploy = definition.steps.last(where: { $0.kind == .deployConfig }) {
                for (key, source) in deploy.map("set") where source == "new" {
                    config[key] = value.revealSecretString()
                    config[ConfigKeyID.key(for: key)] = version
                }
            }
            switch id {
            case "postgres-password":
                try await world.postgres.admin("DROP ROLE IF EXISTS aegis")
                try await world.postgres.admin("CREATE ROLE aegis LOGIN PASSWORD '\(value.revealSecretString())'")
            case "redis-auth-token":
                let connection = try await world.redis.adminConnection()
                _ = try await connection.run(RESPCommand("ACL", "SETUSER", "aegis", "reset", "on", ">" + value.revealSecretString(), "~*", "&*", "+@all"))
                await connection.close()
            default: break
            }
        }
        // The JWT keys' object: the ConfigMap of SPEC §4, or a Secret when the Commands file says so.
        if let deploy = try definition("jwt-signing-key").deploy, deploy.holdsKeysInSecret {
            await kube.addConfigMap(name: Self.location.configMap, data: [:])
            await kube.addSecret(name: deploy.configMap, data: config)
        } else {
            await kube.addConfigMap(name: Self.location.configMap, data: config)
        }
        return versions
    }

    /// `aegis-api`, allowed to ask STS who it is, with one access key: the stored pair.
    private func seedIAMUser() async throws -> SecretValue {
        let client = try moto.client()
        _ = try await client.query(.iam, action: "CreateUser", parameters: [("UserName", Self.iamUser)])
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#
        _ = try await client.query(.iam, action: "PutUserPolicy", parameters: [
            ("UserName", Self.iamUser), ("PolicyName", "whoami"), ("PolicyDocument", policy)])
        let key = try await iam.createAccessKey(userName: Self.iamUser)
        return try IAMAccessKeyPair(accessKeyID: key.metadata.accessKeyID, secretAccessKey: key.secretAccessKey).stored()
    }
}

/// The first step of `kind` in the definition's chosen strategy, else in any of its strategies
/// (an `aws-managed` strategy generates nothing itself, but the seed still needs a value's format).
func requireStep(_ definition: SecretDefinition, _ kind: StepTypeName) throws -> StepDefinition {
    let candidates = definition.steps + definition.strategies.keys.sorted().flatMap { definition.strategies[$0] ?? [] }
    guard let step = candidates.first(where: { $0.kind == kind }) else {
        throw ServerError("\(definition.id) has no \(kind.rawValue) step")
    }
    return step
}
