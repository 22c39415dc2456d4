import AegisCore
import Foundation

/// AWS: Secrets Manager as a store and its own rotation (`aws-managed-rotation`), IAM access keys
/// (`iam-access-key` and their deferred deletion), ElastiCache AUTH tokens
/// (`elasticache-auth-token`: ROTATE, then SET after the grace period), RDS's managed master
/// password (`rds-master-password`) and STS (`sts-caller-identity`), signed by the standard
/// credential chain.
public enum AWSModule: AdapterModule {
    static let secretsManagerNeeds = "AWS Secrets Manager (AWS_REGION, AWS credentials; AWS_ENDPOINT_URL_SECRETS_MANAGER to override)"
    static let iamNeeds = "AWS IAM and STS (AWS credentials; AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS to override)"
    static let elastiCacheNeeds = "AWS ElastiCache (AWS_REGION, AWS credentials; AWS_ENDPOINT_URL_ELASTICACHE to override)"
    static let rdsNeeds = "AWS RDS and Secrets Manager (AWS_REGION, AWS credentials; AWS_ENDPOINT_URL_RDS to override)"

    public static func declare(into catalog: inout TypeCatalog) {
        catalog.register(StoreType(name: .awsSecretsManager, needs: secretsManagerNeeds))
        catalog.register(StepType(name: .awsManagedRotation, headline: "Rotate in the store and follow the version stages",
                                  parameters: ParameterSchema(allowed: ["timeout"]), needs: secretsManagerNeeds,
                                  validate: { step, _ throws(ParameterProblem) in try ParameterRules.duration(step, "timeout") }))
        catalog.register(StepType(name: .iamAccessKey, headline: "Create the new IAM access key",
                                  parameters: ParameterSchema(allowed: ["user", "phase"]), needs: iamNeeds, waitsOutGrace: true))
        catalog.register(StepType(name: .elastiCacheAuthToken, headline: "Change the ElastiCache AUTH token",
                                  parameters: ParameterSchema(allowed: ["timeout"], required: ["replication_group", "phase"]),
                                  needs: elastiCacheNeeds, waitsOutGrace: true,
                                  validate: { step, secret throws(ParameterProblem) in try ElastiCacheAuthTokenStep.validate(step, secret) },
                                  title: { step, context in
                                      let group = step.text("replication_group") ?? "?"
                                      guard step.text("phase") == ElastiCacheAuthTokenStep.Phase.set.rawValue else {
                                          return "ElastiCache \(group): ROTATE to the new AUTH token (the old one stays valid)"
                                      }
                                      let wait = context.leaked ? "at once (leak response: no grace)" : "after \(context.graceText ?? "the grace period")"
                                      return "ElastiCache \(group): SET to the new AUTH token \(wait), dropping the old one (cannot be undone)"
                                  }))
        catalog.register(StepType(name: .rdsMasterPassword, headline: "RDS rotates the master password it manages; the bot follows it",
                                  parameters: ParameterSchema(allowed: ["db_instance", "master_user", "timeout"], required: ["db_instance"]),
                                  needs: rdsNeeds,
                                  validate: { step, secret throws(ParameterProblem) in try RDSMasterPasswordStep.validate(step, secret) },
                                  title: { step, _ in
                                      "RDS \(step.text("db_instance") ?? "?"): rotate the managed master password (RotateMasterUserPassword), " +
                                          "follow it to active and keep the new password (the old one stops working)"
                                  }))
        catalog.register(CheckType(name: .stsCallerIdentity, needs: iamNeeds, title: { _ in "STS GetCallerIdentity with the new key" }))
    }

    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {
        let client: AWSClient
        do {
            let aws = try AWSConfiguration(environment: setup.values, timeout: setup.timeout)
            _ = try aws.endpoint(for: .secretsManager)
            let credentials = try DefaultCredentialChain.make(environment: setup.values)
            client = AWSClient(configuration: aws, credentialProvider: credentials, logger: setup.logger)
        } catch {
            wiring.unavailable(steps: [.awsManagedRotation, .iamAccessKey, .elastiCacheAuthToken, .rdsMasterPassword], checks: [.stsCallerIdentity], stores: [.awsSecretsManager],
                               "AWS is not configured: \(error)")
            return
        }
        let store = SecretsManagerStore(client: client)
        let iam = IAMAccessKeys(client: client)
        let state = setup.state
        wiring.stores[.awsSecretsManager] = store
        wiring.steps[.awsManagedRotation] = AWSManagedRotationStep(store: store)
        wiring.steps[.iamAccessKey] = IAMAccessKeyStep(
            iam: iam,
            scheduleDeletion: { deletion in
                try await state.scheduleTimer(DeferredActionRegistry.timer(
                    id: deletion.id, action: IAMKeyDeletionAction.name, rotationID: deletion.rotationID,
                    dueAt: deletion.dueAt, payload: deletion.payload))
            },
            cancelDeletion: { id in try await state.finishTimer(id: id, status: .cancelled, note: "rolled back") })
        wiring.checks[.stsCallerIdentity] = STSCallerIdentityCheck(client: client)
        wiring.deferredActions[IAMKeyDeletionAction.name] = IAMKeyDeletionAction(iam: iam)
        let rdsPoll = pollInterval(setup, "AEGIS_RDS_POLL", into: &wiring)
        wiring.steps[.rdsMasterPassword] = RDSMasterPasswordStep(instances: RDSInstances(client: client), secrets: store, pollInterval: rdsPoll)
        let groups = ElastiCacheReplicationGroups(client: client)
        let poll = pollInterval(setup, "AEGIS_ELASTICACHE_POLL", into: &wiring)
        wiring.steps[.elastiCacheAuthToken] = ElastiCacheAuthTokenStep(
            groups: groups, pollInterval: poll,
            scheduleSet: { timer in try await state.scheduleTimer(timer) },
            cancelSet: { id in try await state.finishTimer(id: id, status: .cancelled, note: "rolled back") })
        wiring.deferredActions[ElastiCacheSetAction.name] = ElastiCacheSetAction(groups: groups, store: store, pollInterval: poll)
    }

    /// How often a step asks whether an asynchronous AWS change finished: the setting, 5 s when
    /// unset. A value that is not a positive duration keeps the app from starting (exit code 4)
    /// instead of being replaced by the default without a word.
    static func pollInterval(_ setup: AdapterSetup, _ key: String, into wiring: inout AdapterWiring) -> Duration {
        do {
            return try setup.duration(key) ?? .seconds(5)
        } catch {
            wiring.invalidSettings.append(error)
            return .seconds(5)
        }
    }
}

extension RegisteredName where Kind == StoreTypeKind {
    public static let awsSecretsManager: Self = "aws-secrets-manager"
}

extension RegisteredName where Kind == StepTypeKind {
    /// Secrets Manager `RotateSecret`, following the version stages.
    public static let awsManagedRotation: Self = "aws-managed-rotation"
    /// IAM CreateAccessKey / deactivate / delete.
    public static let iamAccessKey: Self = "iam-access-key"
    /// ElastiCache ModifyReplicationGroup with an AUTH token update strategy (ROTATE, then SET).
    public static let elastiCacheAuthToken: Self = "elasticache-auth-token"
    /// RDS ModifyDBInstance with RotateMasterUserPassword, following the managed master secret.
    public static let rdsMasterPassword: Self = "rds-master-password"
}

extension RegisteredName where Kind == CheckTypeKind {
    /// STS GetCallerIdentity with the new key.
    public static let stsCallerIdentity: Self = "sts-caller-identity"
}
