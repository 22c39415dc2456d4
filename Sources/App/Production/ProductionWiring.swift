import AegisAWS
import AegisCore
import AegisHTTPChecks
import AegisKubernetes
import AegisPostgres
import AegisRedis
import Foundation
import Logging

/// Builds everything `AEGIS_ENV=production` runs with from the configuration: AWS Secrets Manager
/// as the store, the Kubernetes deploy target, the provider steps (PostgreSQL, Redis, IAM,
/// Secrets Manager rotation), the runbook's checks and the deferred IAM key deletion.
///
/// Each part is built on its own: a setting that is missing or wrong disables only what needs it,
/// and the reason (naming the setting) is what a request for an affected secret is refused with.
/// Nothing connects here; connections are made when a step or check runs. One HTTP call to AWS
/// or Kubernetes may take `AEGIS_PROVIDER_TIMEOUT` (default 30 s) before it counts as a
/// (transient, retried) failure.
struct ProductionWiring {
    struct Unavailable: Error {
        var reason: String
    }

    var adapters: ProductionAdapters
    var steps: [StepKind: any StepExecutor]
    var checks: [CheckDefinition.Kind: any CheckRunner]
    var deferredActions: [String: any DeferredAction]
    /// Shuts down clients with their own connection pools (``AppContext/shutdown()``).
    var closers: [@Sendable () async -> Void]

    static let defaultAPIURL = "https://api.aegis.io"

    static func build(configuration: AegisConfiguration, state: any StateStore, logger: Logger) -> ProductionWiring {
        let timeout: Duration
        do {
            timeout = try configuration.duration("AEGIS_PROVIDER_TIMEOUT", default: .seconds(30))
        } catch {
            timeout = .seconds(30)
            logger.error("AEGIS_PROVIDER_TIMEOUT is not a duration; using 30s", metadata: ["error": "\(error)"])
        }
        var wiring = ProductionWiring(
            adapters: ProductionAdapters(stores: [:], storeProblems: [:], target: .failure(Unavailable(reason: "not configured")),
                                         stepProblems: [:], checkProblems: [:]),
            steps: [:], checks: [:], deferredActions: [:], closers: [])
        wiring.addAWS(configuration, timeout: timeout, state: state, logger: logger)
        wiring.addKubernetes(configuration, timeout: timeout, logger: logger)
        wiring.addPostgres(configuration)
        wiring.addRedis(configuration)
        wiring.addServiceChecks(configuration)
        for kind in [StorageLocation.Kind.azureKeyVault, .onePassword] {
            wiring.adapters.storeProblems[kind] = "this build has no \(kind.rawValue) adapter"
        }
        for kind in [StepKind.providerCheck, .revokeOldKey, .entraClientSecret] {
            wiring.adapters.stepProblems[kind] = "this build has no adapter for it; it needs \(kind.productionNeedsSummary)"
        }
        wiring.adapters.checkProblems[.clientCredentials] = "this build has no Entra ID adapter"
        return wiring
    }

    /// Secrets Manager (store and `aws-managed-rotation`), IAM (`iam-access-key` and its deferred
    /// deletion) and STS (`sts-caller-identity`), signed by the standard credential chain.
    mutating func addAWS(_ configuration: AegisConfiguration, timeout: Duration, state: any StateStore, logger: Logger) {
        let client: AWSClient
        do {
            let aws = try AWSConfiguration(environment: configuration.values, timeout: timeout)
            _ = try aws.endpoint(for: .secretsManager)
            let credentials = try DefaultCredentialChain.make(environment: configuration.values)
            client = AWSClient(configuration: aws, credentialProvider: credentials, logger: logger)
        } catch {
            let reason = "AWS is not configured: \(error)"
            adapters.storeProblems[.awsSecretsManager] = reason
            adapters.storeProblems[.iam] = reason
            for kind in [StepKind.awsManagedRotation, .iamAccessKey] { adapters.stepProblems[kind] = reason }
            adapters.checkProblems[.stsCallerIdentity] = reason
            return
        }
        let store = SecretsManagerStore(client: client)
        let iam = IAMAccessKeys(client: client)
        adapters.stores[.awsSecretsManager] = store
        adapters.storeProblems[.iam] = "an IAM access key pair is stored in Secrets Manager; use storage kind aws-secrets-manager"
        steps[.awsManagedRotation] = AWSManagedRotationStep(store: store)
        steps[.iamAccessKey] = IAMAccessKeyStep(
            iam: iam,
            scheduleDeletion: { deletion in
                try await state.scheduleTimer(DeferredActionRegistry.timer(
                    id: deletion.id, action: IAMKeyDeletionAction.name, rotationID: deletion.rotationID,
                    dueAt: deletion.dueAt, payload: deletion.payload))
            },
            cancelDeletion: { id in try await state.finishTimer(id: id, status: .cancelled, note: "rolled back") })
        checks[.stsCallerIdentity] = STSCallerIdentityCheck(client: client)
        deferredActions[IAMKeyDeletionAction.name] = IAMKeyDeletionAction(iam: iam)
    }

    /// `KUBECONFIG` (its first file, current context) or the pod's service account.
    mutating func addKubernetes(_ configuration: AegisConfiguration, timeout: Duration, logger: Logger) {
        do {
            let config = try KubeConfig.fromEnvironment(configuration.values)
            let client = try KubernetesClient(config: config, timeout: timeout, logger: logger)
            closers.append { try? await client.shutdown() }
            adapters.target = .success(KubernetesDeployTarget(client: client))
            checks[.logs] = LogScanCheck(logs: KubernetesLogSource(logs: DeploymentLogs(client: client)))
        } catch {
            // KubeConfigError never quotes a credential; anything else is summarised safely.
            let detail = (error as? KubeConfigError)?.description ?? RotationEngine.safeDescription(error)
            let reason = "Kubernetes is not configured: \(detail) (set KUBECONFIG, or run in a pod with a service account)"
            adapters.target = .failure(Unavailable(reason: reason))
            adapters.checkProblems[.logs] = reason
        }
    }

    /// `DATABASE_URL`: the admin connection for `ALTER ROLE`; the login check uses its host, port
    /// and database with the rotated role.
    mutating func addPostgres(_ configuration: AegisConfiguration) {
        guard let text = configuration.string("DATABASE_URL") else {
            let reason = "DATABASE_URL is not set (the admin connection for ALTER ROLE, e.g. postgres://admin@db:5432/aegis)"
            adapters.stepProblems[.alterRolePassword] = reason
            adapters.checkProblems[.postgresLogin] = reason
            return
        }
        do {
            let url = try PostgresURL(parsing: text)
            steps[.alterRolePassword] = AlterRolePasswordStep(admin: url)
            checks[.postgresLogin] = PostgresLoginCheck(server: url)
        } catch {
            adapters.stepProblems[.alterRolePassword] = error.description
            adapters.checkProblems[.postgresLogin] = error.description
        }
    }

    /// `REDIS_URL`: the admin connection for `ACL SETUSER` / `CONFIG SET requirepass`; the login
    /// check uses its endpoint with the rotated user.
    mutating func addRedis(_ configuration: AegisConfiguration) {
        guard let text = configuration.string("REDIS_URL") else {
            let reason = "REDIS_URL is not set (the admin connection for ACL SETUSER, e.g. rediss://admin@cache:6379)"
            adapters.stepProblems[.redisPassword] = reason
            adapters.checkProblems[.redisLogin] = reason
            return
        }
        do {
            let url = try RedisURL(parsing: text)
            steps[.redisPassword] = RedisPasswordStep(admin: url)
            checks[.redisLogin] = RedisLoginCheck(endpoint: url.endpoint)
        } catch {
            adapters.stepProblems[.redisPassword] = error.description
            adapters.checkProblems[.redisLogin] = error.description
        }
    }

    /// The live service: `AEGIS_API_URL` (`/health`, `/api/v1/findings`) and `AEGIS_API_TOKEN`
    /// for the smoke test.
    mutating func addServiceChecks(_ configuration: AegisConfiguration) {
        let base = configuration.string("AEGIS_API_URL") ?? Self.defaultAPIURL
        guard let url = URL(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            let reason = "AEGIS_API_URL is not an http(s) URL"
            adapters.checkProblems[.health] = reason
            adapters.checkProblems[.smoke] = reason
            return
        }
        let token = configuration.secret("AEGIS_API_TOKEN")
        let endpoint = ServiceEndpoint(baseURL: base, token: token)
        checks[.health] = HealthComponentCheck(endpoint: endpoint)
        if token == nil {
            adapters.checkProblems[.smoke] = "AEGIS_API_TOKEN is not set (the bearer token for GET /api/v1/findings)"
        } else {
            checks[.smoke] = SmokeTestCheck(endpoint: endpoint)
        }
    }
}

private extension StepKind {
    /// `productionNeeds` for kinds that need no step definition to describe.
    var productionNeedsSummary: String {
        productionNeeds(StepDefinition(name: rawValue, kind: self))
    }
}
