import Foundation

/// One secret of the inventory, as its `Commands/<id>.yaml` file describes it.
public struct SecretDefinition: Sendable, Codable, Hashable {
    public var id: String
    public var title: String
    public var aliases: [String]
    public var storage: StorageLocation
    /// How often the runbook wants it rotated.
    public var every: Duration
    /// Where the provider can rotate it by itself (RDS, ElastiCache), as the runbook's table says.
    public var autoRotation: String?
    public var deploy: DeployLocation?
    /// The strategy in use, one of `strategies`' keys.
    public var strategy: String
    public var strategies: [String: [StepDefinition]]
    public var checks: [CheckDefinition]
    /// The grace period during which the old credential stays valid; nil where there is none.
    public var grace: Duration?
    /// The environment variable that overrides `grace` (e.g. `AEGIS_JWT_GRACE`).
    public var graceSetting: String?
    /// The runbook's escalation action, posted with every rollback.
    public var escalation: String
    /// The file it came from, for messages.
    public var sourceFile: String
    /// The line of `aliases:` (or of `id:` when there are none), for naming conflicts.
    public var aliasesLine: Int

    public init(id: String, title: String, aliases: [String], storage: StorageLocation, every: Duration, autoRotation: String?,
                deploy: DeployLocation?, strategy: String, strategies: [String: [StepDefinition]], checks: [CheckDefinition],
                grace: Duration?, graceSetting: String?, escalation: String, sourceFile: String, aliasesLine: Int) {
        self.id = id
        self.title = title
        self.aliases = aliases
        self.storage = storage
        self.every = every
        self.autoRotation = autoRotation
        self.deploy = deploy
        self.strategy = strategy
        self.strategies = strategies
        self.checks = checks
        self.grace = grace
        self.graceSetting = graceSetting
        self.escalation = escalation
        self.sourceFile = sourceFile
        self.aliasesLine = aliasesLine
    }

    public var steps: [StepDefinition] { strategies[strategy] ?? [] }

    /// Every name this secret answers to: its ID and its aliases.
    public var names: [String] { [id] + aliases }
}

/// Where the secret's value is kept.
public struct StorageLocation: Sendable, Codable, Hashable {
    /// The store type, registered by the module that provides the store.
    public var kind: StoreTypeName
    /// Secrets Manager secret ID, Key Vault secret name or 1Password item.
    public var name: String
    /// Key Vault name or 1Password vault, where the kind has one.
    public var container: String?

    public init(kind: StoreTypeName, name: String, container: String? = nil) {
        self.kind = kind
        self.name = name
        self.container = container
    }

    public var displayName: String {
        if let container { return "\(kind) \(container)/\(name)" }
        return "\(kind) \(name)"
    }
}

/// The Kubernetes objects that consume the secret.
public struct DeployLocation: Sendable, Codable, Hashable {
    /// What holds the keys the bot deploys.
    public enum ObjectKind: String, Sendable, Codable, Hashable {
        case configMap = "configmap"
        case secret
    }

    public var namespace: String
    public var deployment: String
    /// The name of the object holding the keys (a ConfigMap unless `objectKind` says Secret).
    public var configMap: String
    /// Nil means a ConfigMap (SPEC §4's `aegis-config`); optional so plans recorded before the
    /// field existed keep their digest.
    public var objectKind: ObjectKind?

    public init(namespace: String, deployment: String, configMap: String, objectKind: ObjectKind? = nil) {
        self.namespace = namespace
        self.deployment = deployment
        self.configMap = configMap
        self.objectKind = objectKind == .configMap ? nil : objectKind
    }

    public var holdsKeysInSecret: Bool { objectKind == .secret }

    /// `configmap aegis-config` or `secret aegis-keys`, for messages.
    public var objectDescription: String { "\(holdsKeysInSecret ? "secret" : "configmap") \(configMap)" }
}
