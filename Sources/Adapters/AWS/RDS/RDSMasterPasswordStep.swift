import AegisCore
import Foundation

/// `rds-master-password` (params `db_instance`, optional `master_user` and `timeout`, default
/// 15m): RDS rotates the master password it manages (`ManageMasterUserPassword`) and the bot
/// follows it into the secret the application reads.
///
/// 1. `DescribeDBInstances`: the instance must manage its master password (it has a
///    `MasterUserSecret`), and its master user must be `master_user` when that is given.
/// 2. Facts before the side effect: the RDS secret's ARN and its `AWSCURRENT` version, then
///    "requested"; then `ModifyDBInstance` with `RotateMasterUserPassword` and `ApplyImmediately`.
/// 3. `DescribeDBInstances` until `MasterUserSecret.SecretStatus` is `active` again *and* the RDS
///    secret's `AWSCURRENT` is a new version (RDS's own rotation moves the stages);
///    `impaired` means RDS could not rotate.
/// 4. The new password is read from that version (`{"username", "password"}`) and written to the
///    secret's own storage as a new version, made current at once: the instance already takes
///    only the new password, so the application must get it with the restart that follows.
///
/// A re-run after a crash never starts a second rotation: with "requested" recorded it sends the
/// modify again only while the RDS secret is still at its old version and not `rotating`, and a
/// `InvalidDBInstanceState` answer then means the first one is running.
///
/// Rollback cannot give the old password back: while RDS manages the master password it sets it
/// and refuses `MasterUserPassword`. So after RDS rotated, the rollback keeps the store at the
/// password the instance has (the two agree) and fails, which escalates; before that, it takes
/// back the bot's pending copy, if any.
public struct RDSMasterPasswordStep: StepExecutor {
    public enum Fact {
        public static let secretARN = "rds.master-secret.arn"
        public static let secretOldVersion = "rds.master-secret.old-version"
        public static let requested = "rds.rotation.requested"
        public static let copyVersion = "rds.copy.version"
    }

    public static let defaultTimeout: Duration = .seconds(900)

    let instances: RDSInstances
    let secrets: SecretsManagerStore
    let pollInterval: Duration

    public init(instances: RDSInstances, secrets: SecretsManagerStore, pollInterval: Duration = .seconds(5)) {
        self.instances = instances
        self.secrets = secrets
        self.pollInterval = pollInterval
    }

    static func validate(_ step: StepDefinition, _ secret: SecretDefinition) throws(ParameterProblem) {
        guard let id = step.text("db_instance"), id.range(of: "^[A-Za-z][A-Za-z0-9-]{0,62}$", options: .regularExpression) != nil,
              !id.hasSuffix("-"), !id.contains("--") else {
            throw ParameterProblem(key: "db_instance", "must be an RDS DB instance identifier (a letter, then up to 62 letters, digits or single hyphens)")
        }
        if let user = step.text("master_user"), user.range(of: "^[A-Za-z][A-Za-z0-9_]{0,62}$", options: .regularExpression) == nil {
            throw ParameterProblem(key: "master_user", "must be a PostgreSQL master user name (a letter, then letters, digits, underscores)")
        }
        try ParameterRules.duration(step, "timeout")
    }

    public func run(_ context: StepContext) async throws -> String {
        let id = try Self.instanceID(context)
        let timeout = try context.step.definition.text("timeout").map { try DurationText.parse($0) } ?? Self.defaultTimeout
        var facts = try await context.recordOldVersion()
        if facts[Fact.requested] == nil {
            let instance = try await describe(id)
            let secret = try Self.managedSecret(instance, context)
            guard !secret.isRotating else {
                throw StepError.refused("RDS is already rotating the master password of \(id) (started outside this rotation); " +
                                        "try again when its SecretStatus is active")
            }
            if facts[Fact.secretOldVersion] == nil {
                guard let current = try await currentVersion(secret.arn) else {
                    throw StepError.storeInconsistent("RDS's master secret of \(id) has no AWSCURRENT version")
                }
                facts = try await context.recordFacts([Fact.secretARN: secret.arn, Fact.secretOldVersion: current])
            }
            facts = try await context.recordFacts([Fact.requested: "true"])
        }
        // The facts recorded above: `context.facts` is the snapshot from before this run.
        guard let arn = facts[Fact.secretARN], let rdsOld = facts[Fact.secretOldVersion] else {
            throw StepError.storeInconsistent("the rotation's journal has no RDS master secret recorded")
        }
        let newRDSVersion = try await rotateAndFollow(id, arn: arn, oldVersion: rdsOld, timeout: timeout)
        let copy = try await copyIntoStore(context, facts: facts, arn: arn, rdsVersion: newRDSVersion, instance: id)
        return "RDS rotated the master password of \(id) (its secret now at \(newRDSVersion)); " +
            "\(context.definition.storage.name) holds it as \(copy), current now, previous = \(facts[FactKey.oldVersion] ?? "?")"
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        guard context.facts[Fact.requested] != nil else { return nil }
        let id = try Self.instanceID(context)
        let arn = try context.requireFact(Fact.secretARN)
        let rdsOld = try context.requireFact(Fact.secretOldVersion)
        let timeout = context.step.definition.text("timeout").flatMap { try? DurationText.parse($0) } ?? Self.defaultTimeout
        var instance = try await describe(id)
        // A rotation in flight cannot be stopped: wait for its end, then keep what it set.
        let deadline = ContinuousClock.now + timeout
        while instance.masterUserSecret?.isRotating == true, ContinuousClock.now < deadline {
            try await Task.sleep(for: pollInterval)
            instance = try await describe(id)
        }
        guard let current = try await currentVersion(arn), current != rdsOld else {
            if let copy = context.facts[Fact.copyVersion],
               try await context.store.version(secret: context.definition.storage, stage: .pending)?.versionID == copy {
                try await context.store.discardPending(secret: context.definition.storage, versionID: copy)
            }
            return "RDS did not rotate the master password of \(id): nothing to undo"
        }
        let copy = try await copyIntoStore(context, facts: context.facts, arn: arn, rdsVersion: current, instance: id)
        throw StepError.refused("cannot be undone: RDS rotated the master password of \(id) and, while it manages that password, " +
                                "sets it itself; \(context.definition.storage.name) keeps the new password (version \(copy)), " +
                                "so the application and the instance agree. Restart every pod that still holds the old one.")
    }

    /// Starts RDS's rotation unless it already ran or runs, and follows it to its end. Returns the
    /// RDS secret's new `AWSCURRENT` version.
    func rotateAndFollow(_ id: String, arn: String, oldVersion: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var started = false
        while true {
            let instance = try await describe(id)
            guard let secret = instance.masterUserSecret else {
                throw StepError.refused("RDS no longer manages the master password of \(id) (ManageMasterUserPassword was turned off)")
            }
            let current = try await currentVersion(arn)
            if let current, current != oldVersion, !secret.isRotating {
                guard !secret.isImpaired else {
                    throw StepError.refused("RDS's master secret of \(id) is impaired after the rotation (SecretStatus impaired)")
                }
                return current
            }
            if !secret.isRotating {
                if started, secret.isImpaired {
                    throw StepError.refused("RDS could not rotate the master password of \(id): SecretStatus impaired, " +
                                            "AWSCURRENT still \(oldVersion); the old password stays in force")
                }
                if !started {
                    started = try await requestRotation(id)
                    continue
                }
            } else {
                started = true
            }
            guard ContinuousClock.now < deadline else {
                throw StepError.refused("RDS did not finish rotating the master password of \(id) within \(DurationText.format(timeout)) " +
                                        "(SecretStatus \(secret.status)); its secret is still at \(oldVersion)")
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// `ModifyDBInstance … RotateMasterUserPassword`. True when RDS took it, or answered that a
    /// rotation is already running (the first request, sent before a crash).
    func requestRotation(_ id: String) async throws -> Bool {
        do {
            _ = try await instances.rotateMasterUserPassword(id)
            return true
        } catch where error.code == "InvalidDBInstanceState" || error.code == "InvalidDBInstanceStateFault" {
            return true
        } catch {
            throw error.adapterError
        }
    }

    /// Writes the password of RDS secret version `rdsVersion` to the secret's storage under one
    /// version ID (recorded before the write, so a re-run writes the same version) and makes it
    /// current. Returns that version ID.
    func copyIntoStore(_ context: StepContext, facts: [String: String], arn: String, rdsVersion: String, instance: String) async throws -> String {
        var facts = facts
        let copy: String
        if let recorded = facts[Fact.copyVersion] {
            copy = recorded
        } else {
            copy = SecretGenerator.versionID()
            facts = try await context.recordFacts([Fact.copyVersion: copy])
        }
        guard let stored = try await secrets.value(secret: Self.location(arn), versionID: rdsVersion) else {
            throw StepError.storeInconsistent("version \(rdsVersion) of RDS's master secret of \(instance) has no value")
        }
        let credentials = try RDSMasterCredentials(stored: stored, secret: "RDS's master secret of \(instance)", versionID: rdsVersion)
        if let expected = context.step.definition.text("master_user"), credentials.username != expected {
            throw StepError.storeInconsistent("RDS's master secret of \(instance) is for user \(credentials.username), not \(expected)")
        }
        let storage = context.definition.storage
        try await context.store.putPending(secret: storage, versionID: copy, value: credentials.password)
        try await context.store.makeCurrent(secret: storage, versionID: copy)
        _ = try await context.recordFacts([FactKey.newVersion: copy])
        return copy
    }

    static func managedSecret(_ instance: RDSInstance, _ context: StepContext) throws -> RDSInstance.MasterUserSecret {
        guard let secret = instance.masterUserSecret else {
            throw StepError.refused("RDS does not manage the master password of \(instance.id) (ManageMasterUserPassword is off): " +
                                    "turn it on, or use the manual strategy")
        }
        if let expected = context.step.definition.text("master_user"), let user = instance.masterUsername, user != expected {
            throw StepError.refused("RDS rotates the password of \(instance.id)'s master user \(user), but \(context.definition.id) is " +
                                    "the password of \(expected): nothing was changed")
        }
        let storage = context.definition.storage
        if storage.kind == .awsSecretsManager, storage.name == secret.arn || secret.arn.hasSuffix(":secret:\(storage.name)") ||
            storage.name.hasPrefix("rds!") {
            throw StepError.misconfigured("\(context.definition.id): storage must be the secret the application reads, not RDS's own " +
                                          "master secret (RDS owns that one and keeps JSON in it)")
        }
        return secret
    }

    func currentVersion(_ arn: String) async throws -> String? {
        let stages: [String: [String]]
        do {
            stages = try await secrets.describe(secret: Self.location(arn)).versionIDsToStages
        } catch {
            throw error.adapterError
        }
        return stages.first { $0.value.contains(SecretStage.current.awsLabel) }?.key
    }

    func describe(_ id: String) async throws -> RDSInstance {
        do {
            return try await instances.describe(id)
        } catch {
            throw error.adapterError
        }
    }

    static func location(_ arn: String) -> StorageLocation { StorageLocation(kind: .awsSecretsManager, name: arn) }

    static func instanceID(_ context: StepContext) throws -> String {
        guard let id = context.step.definition.text("db_instance") else {
            throw StepError.misconfigured("step '\(context.step.name)' has no db_instance")
        }
        return id
    }
}
