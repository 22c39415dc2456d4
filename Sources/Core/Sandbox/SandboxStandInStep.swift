import Foundation

/// What a provider's step does to credentials, as the sandbox plays it against
/// ``SandboxCredentials``. A module maps each of its step types (or each `phase` of one) to a role,
/// so a newcomer's `/rotate okta` runs every step in the shell, clearly labelled as the sandbox.
public enum SandboxRole: Sendable, Equatable {
    /// The system accepts the new version's value (a key a person made, or one the bot generated):
    /// the stand-in for `GET /users/me`, `GET /v1/models`, …
    case checkNew
    /// The system starts accepting the new value: instead of the old one (`ALTER ROLE … PASSWORD`,
    /// `requirepass`) or beside it (an ACL `>password`). A rollback puts the old one back.
    case applyNew(replacesOld: Bool)
    /// The system makes a new credential and hands it over once; the bot stores it as pending
    /// (`CreateAccessKey`, `addPassword`, a service-account key).
    case mintNew
    /// The old credential gets `status` now (`inactive` is undone by a rollback, the rest is not).
    case retireOld(SandboxCredentials.Status)
    /// The old credential gets `meanwhile` now (if any; `inactive` is undone by a rollback) and
    /// `status` after the plan's grace period, on a durable timer (at once when there is none).
    /// `onlyIfInactive`: left alone when someone set it active again during the grace period.
    case retireOldAfterGrace(SandboxCredentials.Status, meanwhile: SandboxCredentials.Status? = nil, onlyIfInactive: Bool = false)
}

/// Runs a provider step type in the local sandbox by its ``SandboxRole`` (one role, or one per
/// `phase` parameter value). Every summary starts with "sandbox", so nobody mistakes it for the
/// real provider.
public struct SandboxStandInStep: StepExecutor {
    public enum Fact {
        /// The stand-in credential a `mintNew` made, recorded before the store write.
        public static let minted = "sandbox.minted"
        public static let retireDue = "sandbox.retire-due"
    }

    let system: String
    let select: @Sendable (StepDefinition) -> SandboxRole?
    /// What `select` understands, for the message when it finds no role.
    let expected: String
    let setup: SandboxSetup

    /// One role for the step type.
    public init(system: String, role: SandboxRole, setup: SandboxSetup) {
        self.init(system: system, expected: "", setup: setup) { _ in role }
    }

    /// A role per value of the step's `phase` parameter.
    public init(system: String, phases: [String: SandboxRole], setup: SandboxSetup) {
        self.init(system: system, expected: "phase: " + phases.keys.sorted().joined(separator: ", "), setup: setup) { step in
            step.text("phase").flatMap { phases[$0] }
        }
    }

    /// A role chosen from the step's parameters (e.g. Redis's `mode` and `phase`).
    public init(system: String, expected: String, setup: SandboxSetup, select: @escaping @Sendable (StepDefinition) -> SandboxRole?) {
        self.system = system
        self.expected = expected
        self.setup = setup
        self.select = select
    }

    func role(_ context: StepContext) throws -> SandboxRole {
        guard let role = select(context.step.definition) else {
            throw StepError.misconfigured("the sandbox has no stand-in for step '\(context.step.name)' with these parameters (\(expected))")
        }
        return role
    }

    var label: String { "sandbox stand-in for \(system)" }

    public func run(_ context: StepContext) async throws -> String {
        let credentials = setup.credentials
        let secret = context.definition.storage
        switch try role(context) {
        case .checkNew:
            let version = try context.requireFact(FactKey.newVersion)
            let new = try await context.storedValue(version: version, role: "new credential")
            if let old = try? await context.storedValue(fact: FactKey.oldVersion, role: "old credential"), old.constantTimeEquals(new) {
                throw StepError.refused("\(label): that is the credential already in use; make a new one")
            }
            let entry = try await credentials.register(secret: secret, version: version, system: system)
            guard entry.status.accepted else {
                throw StepError.refused("\(label): the new credential \(entry.id) is \(entry.status.rawValue); make a new one")
            }
            return "\(label): accepts the new credential \(entry.id)"
        case .applyNew(let replacesOld):
            let version = try context.requireFact(FactKey.newVersion)
            let entry = try await credentials.set(secret: secret, version: version, system: system, to: .active)
            guard replacesOld else { return "\(label): now accepts the new credential \(entry.id) beside the old one" }
            let old = try await credentials.set(secret: secret, version: try context.requireFact(FactKey.oldVersion), system: system, to: .revoked)
            return "\(label): now accepts the new credential \(entry.id) instead of the old one \(old.id)"
        case .mintNew:
            return try await mint(context)
        case .retireOld(let status):
            let old = try context.requireFact(FactKey.oldVersion)
            let entry = try await credentials.set(secret: secret, version: old, system: system, to: status)
            return "\(label): old credential \(entry.id) is \(status.rawValue)" + (status == .inactive ? "" : "; this cannot be undone")
        case .retireOldAfterGrace(let status, let meanwhile, let onlyIfInactive):
            let old = try context.requireFact(FactKey.oldVersion)
            var entry = try await credentials.register(secret: secret, version: old, system: system)
            if let meanwhile, entry.status != meanwhile, entry.status.accepted {
                entry = try await credentials.set(secret: secret, version: old, system: system, to: meanwhile)
            }
            let grace = context.rotation.plan.grace ?? .zero
            guard grace > .zero else {
                try await credentials.set(id: entry.id, to: status)
                return "\(label): old credential \(entry.id) is \(status.rawValue) now (no grace period); this cannot be undone"
            }
            let due = context.facts[Fact.retireDue].flatMap(Timestamps.parseISO8601) ?? Date().addingTimeInterval(grace.timeInterval)
            _ = try await context.recordFacts([Fact.retireDue: Timestamps.iso8601(due)])
            try await setup.state.scheduleTimer(DeferredActionRegistry.timer(
                id: Self.timerID(context), action: SandboxRetireAction.name, rotationID: context.rotation.id, dueAt: due,
                payload: ["credential": entry.id, "status": status.rawValue,
                          "only_if_inactive": onlyIfInactive || meanwhile == .inactive ? "yes" : "no"]))
            return "\(label): old credential \(entry.id) stays \(entry.status.rawValue) for \(DurationText.format(grace)); " +
                "\(status.rawValue) at \(Timestamps.iso8601(due))"
        }
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let credentials = setup.credentials
        let secret = context.definition.storage
        switch try role(context) {
        case .checkNew:
            return nil
        case .applyNew:
            guard let version = context.facts[FactKey.newVersion] else { return nil }
            let entry = try await credentials.set(secret: secret, version: version, system: system, to: .revoked)
            var note = "\(label): no longer accepts the new credential \(entry.id)"
            if let oldVersion = context.facts[FactKey.oldVersion],
               let old = try await credentials.entry(secret: secret, version: oldVersion), !old.status.accepted {
                try await credentials.set(id: old.id, to: .active)
                note += "; accepts the old one \(old.id) again"
            }
            return note
        case .mintNew:
            var done: [String] = []
            if let minted = context.facts[Fact.minted], try await credentials.set(id: minted, to: .deleted) != nil {
                done.append("\(label): deleted the new credential \(minted)")
            }
            if let version = context.facts[FactKey.newVersion] {
                try await context.store.discardPending(secret: context.definition.storage, versionID: version)
                done.append("discarded pending version \(version)")
            }
            return done.isEmpty ? nil : done.joined(separator: "; ")
        case .retireOld(let status):
            guard let old = context.facts[FactKey.oldVersion], let entry = try await credentials.entry(secret: secret, version: old) else { return nil }
            guard status == .inactive, entry.status == .inactive else {
                return entry.status.accepted ? nil : "\(label): old credential \(entry.id) is \(entry.status.rawValue) and cannot be brought back"
            }
            try await credentials.set(id: entry.id, to: .active)
            return "\(label): old credential \(entry.id) is active again"
        case .retireOldAfterGrace(_, let meanwhile, _):
            var done: [String] = []
            if context.facts[Fact.retireDue] != nil {
                try await setup.state.finishTimer(id: Self.timerID(context), status: .cancelled, note: "rolled back")
                done.append("\(label): cancelled the scheduled retirement of the old credential")
            }
            if meanwhile == .inactive, let old = context.facts[FactKey.oldVersion],
               let entry = try await credentials.entry(secret: secret, version: old), entry.status == .inactive {
                try await credentials.set(id: entry.id, to: .active)
                done.append("\(label): old credential \(entry.id) is active again")
            }
            return done.isEmpty ? nil : done.joined(separator: "; ")
        }
    }

    /// Mints like a provider that hands a value out once: the stand-in credential is recorded as
    /// a fact before the store write; a re-run that finds it recorded but not stored deletes that
    /// orphan and mints again.
    func mint(_ context: StepContext) async throws -> String {
        let credentials = setup.credentials
        let secret = context.definition.storage
        var facts = try await context.recordOldVersion()
        if let version = facts[FactKey.newVersion], try await context.store.value(secret: secret, versionID: version) != nil {
            return "\(label): new credential \(facts[Fact.minted] ?? "?") already stored as version \(version)"
        }
        var note = ""
        if let orphan = facts[Fact.minted] {
            try await credentials.set(id: orphan, to: .deleted)
            note = "; deleted \(orphan), minted by an interrupted run and never stored"
        }
        let version = facts[FactKey.newVersion] ?? SecretGenerator.versionID()
        let value = SecretValue(utf8: "sbx-\(system.lowercased().filter(\.isLetter))-" + SecretGenerator.alphanumeric(40))
        let entry = try await credentials.register(secret: secret, version: version, system: system)
        facts = try await context.recordFacts([FactKey.newVersion: version, Fact.minted: entry.id])
        try await context.store.putPending(secret: secret, versionID: version, value: value)
        return "\(label): minted new credential \(entry.id), stored as pending version \(version)" + note
    }

    static func timerID(_ context: StepContext) -> String { "sandbox-retire-\(context.rotation.id)-\(context.step.name)" }
}

/// The durable half of ``SandboxRole/retireOldAfterGrace(_:onlyIfInactive:)``.
public struct SandboxRetireAction: DeferredAction {
    public static let name = "sandbox-retire-credential"
    let credentials: SandboxCredentials

    public init(credentials: SandboxCredentials) { self.credentials = credentials }

    public func perform(payload: [String: String]) async throws -> String {
        guard let id = payload["credential"], let status = payload["status"].flatMap(SandboxCredentials.Status.init(rawValue:)) else {
            throw StepError.misconfigured("the sandbox retirement timer lacks credential or status")
        }
        guard let entry = try await credentials.entry(id: id) else { return "sandbox: credential \(id) is unknown; nothing to do" }
        if payload["only_if_inactive"] == "yes", entry.status == .active {
            return "sandbox: left credential \(id) alone: it is active again"
        }
        try await credentials.set(id: id, to: status)
        return "sandbox: credential \(id) is \(status.rawValue) after the grace period"
    }
}

/// A credential check in the sandbox (the stand-in for a token request, `GetCallerIdentity`, a
/// database login): passes when the stand-in system accepts the version that should be live.
public struct SandboxCredentialCheck: CheckRunner {
    let system: String
    let credentials: SandboxCredentials

    public init(system: String, credentials: SandboxCredentials) {
        self.system = system
        self.credentials = credentials
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        do {
            guard try await context.store.value(secret: context.definition.storage, versionID: context.expectedCurrentVersion) != nil else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(context.expectedCurrentVersion) is missing from the store")
            }
            guard let entry = try await credentials.entry(secret: context.definition.storage, version: context.expectedCurrentVersion) else {
                return CheckResult(title: check.title, status: .failed, detail: "sandbox stand-in for \(system) does not know version \(context.expectedCurrentVersion)")
            }
            return CheckResult(title: check.title, status: entry.status.accepted ? .passed : .failed,
                               detail: "sandbox stand-in for \(system): credential \(entry.id) is \(entry.status.rawValue)")
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
    }
}
