import AegisAdapters
import AegisChat
import AegisCore
import AegisLocalSandbox
import AegisPostgres
import AegisStatePostgres
import AegisStateSQLite
import Foundation
import Logging

/// What the executable and the tests run: the engine with its stores and adapters, built from
/// configuration in one place (`AppContext.build`).
public struct AppContext: Sendable {
    public let configuration: AegisConfiguration
    public let inventory: Inventory
    public let state: any StateStore
    public let environment: AegisEnvironment
    public let sandbox: LocalSandbox?
    public let engine: RotationEngine
    public let settings: RotationSettings
    public let logger: Logger
    /// Closes what the adapters opened (HTTP clients with their own connection pools).
    let closers: [@Sendable () async -> Void]
    /// Held while this process drives rotations on a SQLite state file (``StateAccess/drive``).
    let lock: StateFileLock?
    /// The step types this process has executors for (what the sandbox may seed).
    let runnableSteps: Set<StepTypeName>

    /// Gives the sandbox's secrets that every step here can rotate an initial version (local only).
    public func seedSandbox() async throws -> [String] {
        guard let sandbox else { return [] }
        return try await sandbox.seed(inventory, runnable: runnableSteps)
    }

    /// `audit.head` beside a SQLite state file: where `audit verify` remembers the newest record it saw.
    public var defaultAuditHeadPath: String? {
        let url = configuration.stateURL
        guard url.hasPrefix("sqlite://") else { return nil }
        let folder = (String(url.dropFirst("sqlite://".count)) as NSString).deletingLastPathComponent
        return (folder.isEmpty ? "." : folder) + "/audit.head"
    }

    /// Closes the adapters' clients, all at once, each within ``BoundedShutdown/clientCloseLimit``
    /// (a client that does not close in time is left to the process's exit). Every front end
    /// calls it once it is done with the app.
    public func shutdown() async {
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            for (index, close) in closers.enumerated() {
                group.addTask {
                    if !(await finishWithin(BoundedShutdown.clientCloseLimit, "adapter client \(index) to close", close)) {
                        logger.warning("an adapter's client did not close in time; leaving it to the process exit",
                                       metadata: ["client": "\(index)", "limit": "\(BoundedShutdown.clientCloseLimit)"])
                    }
                }
            }
        }
    }

    /// Builds the app. `events` receives the engine's events (a chat presenter, or nothing for the CLI).
    /// `approvers` defaults to the config file's static list (the shell); the Slack bot passes the
    /// approver channel's members.
    public static func build(configuration: AegisConfiguration, defaultEnvironment: AegisEnvironment,
                             events: any RotationEventSink, approvers: (any ApproverDirectory)? = nil,
                             access: StateAccess = .drive, logger: Logger) throws -> AppContext {
        let catalog = AdapterModules.catalog
        let inventory = try InventoryLoader.load(directory: configuration.commandsDirectory, catalog: catalog)
        let environment = try configuration.environment(default: defaultEnvironment)
        let (state, lock) = try openStateStore(configuration, environment: environment, access: access, logger: logger)
        let settings = try configuration.rotationSettings(inventory: inventory)
        let sandbox: LocalSandbox?
        let adapters: any AdapterResolver
        var steps = StepRegistry.builtIn(catalog: catalog, state: state,
                                         keyWait: try configuration.duration("AEGIS_KEY_WAIT", default: .seconds(1_800)))
        var checks = CheckRegistry.builtIn(catalog: catalog, sandbox: environment == .local)
        var deferred = DeferredActionRegistry()
        var closers: [@Sendable () async -> Void] = []
        var sinks: [any RotationEventSink] = [events]
        switch environment {
        case .local:
            let local = LocalSandbox(root: configuration.localDirectory, restartCommand: configuration.string("AEGIS_LOCAL_RESTART_COMMAND"))
            sandbox = local
            adapters = local
            let standIns = AdapterModules.wireSandbox(SandboxSetup(credentials: local.credentials, state: state))
            steps.executors.merge(standIns.steps) { $1 }
            checks.runners.merge(standIns.checks) { $1 }
            deferred.actions = standIns.deferredActions
            steps = LocalSandbox.steps(steps)
        case .production:
            sandbox = nil
            let wiring = AdapterModules.wire(AdapterSetup(
                values: configuration.values, state: state,
                timeout: ProductionAdapters.providerTimeout(configuration, logger: logger), logger: logger))
            adapters = ProductionAdapters(wiring: wiring, catalog: catalog)
            steps.executors.merge(wiring.steps) { $1 }
            steps.problems.merge(wiring.stepProblems) { $1 }
            checks.runners.merge(wiring.checks) { $1 }
            checks.problems.merge(wiring.checkProblems) { $1 }
            deferred.actions = wiring.deferredActions
            sinks += wiring.eventSinks
            closers = wiring.closers
            if !wiring.invalidSettings.isEmpty {
                // The clients other modules made are shut down behind the refusal (the process exits).
                Task { [closers] in for close in closers { await close() } }
                throw AegisConfiguration.Problem(key: "adapters", message: wiring.invalidSettings.map(\.description).joined(separator: "; "))
            }
        }
        if let shared = state as? PostgresStateStore { closers.append { await shared.close() } }
        // The shell's approvers: the configured list; the sandbox's pretend workspace only locally.
        let shellApprovers = configuration.workspace?.approvers ?? (environment == .local ? ShellWorkspaceDefaults.approvers : [])
        let approvers: any ApproverDirectory = approvers ?? StaticApproverDirectory(
            groupName: settings.approverChannel, members: Set(shellApprovers))
        let engine = RotationEngine(EngineDependencies(
            inventory: inventory, state: state, adapters: adapters, approvers: approvers, events: sinks.count == 1 ? events : BroadcastEventSink(sinks),
            steps: steps, checks: checks, deferredActions: deferred, settings: settings,
            environment: environment, logger: logger, crashPoint: configuration.string("AEGIS_CRASH_POINT"),
            owner: .thisProcess(replica: configuration.string("AEGIS_REPLICA_ID"))))
        return AppContext(configuration: configuration, inventory: inventory, state: state, environment: environment,
                          sandbox: sandbox, engine: engine, settings: settings, logger: logger, closers: closers, lock: lock,
                          runnableSteps: Set(steps.executors.keys))
    }

    /// `sqlite://PATH` (embedded, one process drives it) or `postgres://…` / `postgresql://…`
    /// (several replicas; the schema is migrated by the first operation).
    static func openStateStore(_ configuration: AegisConfiguration, environment: AegisEnvironment,
                               access: StateAccess, logger: Logger) throws -> (any StateStore, StateFileLock?) {
        let url = configuration.stateURL
        if url.lowercased().hasPrefix("postgres://") || url.lowercased().hasPrefix("postgresql://") {
            let parsed: PostgresURL
            do { parsed = try PostgresURL(parsing: url) } catch {
                throw AegisConfiguration.Problem(key: "AEGIS_STATE_URL", message: error.description.replacingOccurrences(of: "DATABASE_URL", with: "the PostgreSQL URL"))
            }
            // No local key file with a shared store: every replica must seal with the same key.
            guard configuration.secret("AEGIS_AUDIT_KEY") != nil else {
                throw AegisConfiguration.Problem(key: "AEGIS_AUDIT_KEY", message: "is required with a PostgreSQL state store (every replica seals the one audit chain with it; at least 32 bytes, or AEGIS_AUDIT_KEY_FILE)")
            }
            let key = try configuration.auditKey(environment: environment, localKeyFile: "")
            let leaseTTL = try configuration.duration("AEGIS_LEASE_TTL", default: .seconds(30))
            return (try PostgresStateStore(url: parsed, auditKey: key, idleTransactionLimit: leaseTTL / 2, logger: logger), nil)
        }
        guard url.hasPrefix("sqlite://") else {
            throw AegisConfiguration.Problem(key: "AEGIS_STATE_URL", message: "'\(url.prefix(12))…' is not a state store URL; use sqlite://PATH or postgres://USER@HOST/DB")
        }
        let path = String(url.dropFirst("sqlite://".count))
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let key = { try configuration.auditKey(environment: environment, localKeyFile: folder + "/audit.key") }
        switch access {
        case .drive:
            // The lock first: a second process must not even migrate the schema under the first.
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let lock = try StateFileLock(statePath: path)
            return (try SQLiteStateStore(path: path, auditKey: try key()), lock)
        case .readState:
            return (try SQLiteStateStore(path: path, auditKey: try key(), createIfMissing: false), nil)
        case .inventory:
            guard FileManager.default.fileExists(atPath: path) else {
                // Nothing on disk to protect: an ephemeral key for a store nobody keeps.
                let ephemeral = (0..<48).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
                return (try SQLiteStateStore(inMemoryWith: try AuditKey(material: SecretValue(utf8: ephemeral))), nil)
            }
            return (try SQLiteStateStore(path: path, auditKey: try key(), createIfMissing: false), nil)
        }
    }
}

/// How a front end uses the state store.
public enum StateAccess: Sendable {
    /// The shell and the bot: creates the store if missing and holds its lock (one driver per file).
    case drive
    /// `status`, `history`, `audit verify`: the store must exist; nothing is created.
    case readState
    /// `list`, `due`, `plan`: the store if it exists, else an empty one in memory.
    case inventory
}

/// The shell's default workspace, also the default approver list when no config file names one.
public enum ShellWorkspaceDefaults {
    public static let users = ["alice", "bob", "carol", "dave"]
    public static let approvers = ["carol", "dave"]
}
