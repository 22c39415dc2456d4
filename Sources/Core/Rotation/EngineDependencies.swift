import Foundation
import Logging

/// Picks the secret store and deploy target for a secret in this environment, and says what is
/// missing where it cannot.
public protocol AdapterResolver: Sendable {
    func secretStore(for definition: SecretDefinition) throws -> any SecretStore
    func deployTarget(for definition: SecretDefinition) throws -> (any DeployTarget)?
    /// Configuration this environment lacks to run `plan`, each a full sentence naming the setting.
    func missingRequirements(for definition: SecretDefinition, plan: RotationPlan) -> [String]
}

/// Everything the engine needs, gathered so tests and the app build it the same way.
public struct EngineDependencies: Sendable {
    public var inventory: Inventory
    public var state: any StateStore
    public var adapters: any AdapterResolver
    public var approvers: any ApproverDirectory
    public var events: any RotationEventSink
    public var steps: StepRegistry
    public var checks: CheckRegistry
    /// What `deferred-action` timers run (provider adapters' delayed work).
    public var deferredActions: DeferredActionRegistry
    public var settings: RotationSettings
    public var environment: AegisEnvironment
    public var logger: Logger
    /// Test-only fault injection: the engine SIGKILLs itself at this point (`after:<step>`,
    /// `before:<step>`, `rollback:<step>`), to prove a restart recovers. Nil in normal runs.
    public var crashPoint: String?
    /// This process as a lease holder (``LeaseKeeper``).
    public var owner: ReplicaOwner
    /// The time of day for records, expiry and timers.
    public var clock: any WallClock

    public init(inventory: Inventory, state: any StateStore, adapters: any AdapterResolver,
                approvers: any ApproverDirectory, events: any RotationEventSink, steps: StepRegistry,
                checks: CheckRegistry, deferredActions: DeferredActionRegistry = DeferredActionRegistry(),
                settings: RotationSettings, environment: AegisEnvironment, logger: Logger, crashPoint: String? = nil,
                owner: ReplicaOwner = .thisProcess(replica: nil), clock: any WallClock = SystemWallClock()) {
        self.inventory = inventory
        self.state = state
        self.adapters = adapters
        self.approvers = approvers
        self.events = events
        self.steps = steps
        self.checks = checks
        self.deferredActions = deferredActions
        self.settings = settings
        self.environment = environment
        self.logger = logger
        self.crashPoint = crashPoint
        self.owner = owner
        self.clock = clock
    }
}
