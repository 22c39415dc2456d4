import Foundation
import Logging

/// An adapter module: the types it declares, and how it builds their executors, runners and
/// stores from the environment. Adding a provider is one module conforming to this and one line
/// in the list of modules the app wires (`AdapterModules.all`).
public protocol AdapterModule: Sendable {
    /// Declares the module's types. Runs whatever the environment, so a Commands file naming them
    /// loads (and `plan` can say what is missing) even where the module is not configured.
    static func declare(into catalog: inout TypeCatalog)
    /// `AEGIS_ENV=production`: builds what the settings allow and records, for what they do not,
    /// the sentence naming the missing setting. Connects to nothing.
    static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring)
    /// `AEGIS_ENV=local`: stand-ins for the module's step and check types that reach a real
    /// system (``SandboxStandInStep``, ``SandboxCredentialCheck``), so every secret rotates in the
    /// shell on a fresh machine. A type without one is refused in the sandbox, naming what it needs.
    static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring)
}

extension AdapterModule {
    public static func wire(_ setup: AdapterSetup, into wiring: inout AdapterWiring) {}
    public static func wireSandbox(_ sandbox: SandboxSetup, into wiring: inout AdapterWiring) {}
}

/// What a module's sandbox stand-ins may use: the stand-in credential ledger, and the state
/// store for durable timers.
public struct SandboxSetup: Sendable {
    public var credentials: SandboxCredentials
    public var state: any StateStore

    public init(credentials: SandboxCredentials, state: any StateStore) {
        self.credentials = credentials
        self.state = state
    }

    /// One stand-in executor for `type`.
    public func standIn(_ system: String, _ role: SandboxRole) -> SandboxStandInStep {
        SandboxStandInStep(system: system, role: role, setup: self)
    }

    /// A stand-in executor with a role per `phase`.
    public func standIn(_ system: String, phases: [String: SandboxRole]) -> SandboxStandInStep {
        SandboxStandInStep(system: system, phases: phases, setup: self)
    }

    public func credentialCheck(_ system: String) -> SandboxCredentialCheck {
        SandboxCredentialCheck(system: system, credentials: credentials)
    }
}

/// What a module's wiring may read: the settings (environment and config file), the state store
/// for durable timers, the per-call timeout and a logger.
public struct AdapterSetup: Sendable {
    public var values: [String: String]
    public var state: any StateStore
    /// `AEGIS_PROVIDER_TIMEOUT`: the longest one provider call may take before it counts as a
    /// (transient, retried) failure.
    public var timeout: Duration
    public var logger: Logger
    /// The time of day, for what a store records about when a value changed.
    public var clock: any WallClock = SystemWallClock()

    public init(values: [String: String], state: any StateStore, timeout: Duration, logger: Logger) {
        self.values = values
        self.state = state
        self.timeout = timeout
        self.logger = logger
    }

    /// A setting, or nil when unset or empty.
    public func string(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    /// A credential setting as a ``SecretValue`` (so it cannot reach a log line): `KEY`, or the
    /// contents of the file `KEY_FILE` names (trailing newline dropped).
    public func secret(_ key: String) throws(AdapterSetupProblem) -> SecretValue? {
        if let value = string(key) { return SecretValue(utf8: value) }
        guard let path = string(key + "_FILE") else { return nil }
        guard let data = BoundedFile.contents(path) else {
            throw AdapterSetupProblem("\(key)_FILE names '\(path)', which cannot be read")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw AdapterSetupProblem("\(key)_FILE names '\(path)', which is empty") }
        return SecretValue(utf8: text)
    }

    /// A setting that must be a positive duration (`500ms`, `5s`, `2m`, …).
    public func duration(_ key: String) throws(AdapterSetupProblem) -> Duration? {
        guard let text = string(key) else { return nil }
        guard let value = try? DurationText.parse(text), value > .zero else {
            throw AdapterSetupProblem("\(key) is not a positive duration such as 5s or 2m")
        }
        return value
    }

    /// A setting that must be an http(s) URL with a host.
    public func url(_ key: String) throws(AdapterSetupProblem) -> URL? {
        guard let text = string(key) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw AdapterSetupProblem("\(key) is not an http(s) URL")
        }
        return url
    }
}

/// A setting a module cannot use, as a sentence that names it. Never quotes a credential.
public struct AdapterSetupProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What the modules built for production, and why the rest could not be built.
public struct AdapterWiring: Sendable {
    public var steps: [StepTypeName: any StepExecutor] = [:]
    public var stepProblems: [StepTypeName: String] = [:]
    public var checks: [CheckTypeName: any CheckRunner] = [:]
    public var checkProblems: [CheckTypeName: String] = [:]
    public var stores: [StoreTypeName: any SecretStore] = [:]
    public var storeProblems: [StoreTypeName: String] = [:]
    public var deployTarget: Result<any DeployTarget, AdapterSetupProblem> = .failure(AdapterSetupProblem("no deploy target is configured"))
    public var deferredActions: [String: any DeferredAction] = [:]
    /// Listeners for the engine's events besides the chat front end (the on-call pager).
    public var eventSinks: [any RotationEventSink] = []
    /// Settings that are present but unusable for something that is not a step, check or store
    /// (the pager): the app refuses to start with them (exit code 4) rather than run without it.
    public var invalidSettings: [AdapterSetupProblem] = []
    /// Shuts down clients with their own connection pools.
    public var closers: [@Sendable () async -> Void] = []

    public init() {}

    /// Marks every named step and check as unavailable for one reason (a module whose settings are missing).
    public mutating func unavailable(steps: [StepTypeName] = [], checks: [CheckTypeName] = [], stores: [StoreTypeName] = [], _ reason: String) {
        for name in steps { stepProblems[name] = reason }
        for name in checks { checkProblems[name] = reason }
        for name in stores { storeProblems[name] = reason }
    }
}
