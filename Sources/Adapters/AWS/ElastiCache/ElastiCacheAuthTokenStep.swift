import AegisCore
import Foundation

/// `elasticache-auth-token` (params `replication_group`, `phase`, optional `timeout`): the
/// two-token overlap ElastiCache allows for a Redis AUTH token.
///
/// - `rotate`: `ModifyReplicationGroup` with the new token and `AuthTokenUpdateStrategy=ROTATE`,
///   then waits until the group is `available` again (the change is asynchronous). Old and new
///   tokens are both valid from then on, so clients restart onto the new one without a blip.
/// - `set`: after verification, `SET` to the new token, which drops the old one. It runs after the
///   grace period, as a durable timer (``ElastiCacheSetAction``), and at once when the plan has no
///   grace (a leak response).
///
/// Rollback of `rotate` is `ROTATE` to the old token, then `SET` to it, which drops the new one
/// (a `SET` must name the token rotated last). Rollback of a
/// `set` that has not run yet cancels its timer; a `set` that ran cannot be undone (ElastiCache
/// keeps no old token).
///
/// ElastiCache does not say which tokens are valid. So before its modify call the step records,
/// as a fact, the group's `AuthTokenLastModifiedDate` (ElastiCache's own clock). A re-run after a
/// crash that finds the date changed knows its modify was applied, and does not send it again.
public struct ElastiCacheAuthTokenStep: StepExecutor {
    public enum Fact {
        public static let rotateBefore = "elasticache.rotate.token-modified-before"
        public static let rollbackBefore = "elasticache.rollback.token-modified-before"
        public static let rollbackSetBefore = "elasticache.rollback-set.token-modified-before"
        public static let setBefore = "elasticache.set.token-modified-before"
        public static let setDue = "elasticache.set.due"
    }

    public enum Phase: String, Sendable, CaseIterable {
        case rotate
        case set
    }

    static let never = "never"
    static let defaultTimeout: Duration = .seconds(900)

    let groups: ElastiCacheReplicationGroups
    let pollInterval: Duration
    let scheduleSet: @Sendable (TimerRecord) async throws -> Void
    let cancelSet: @Sendable (String) async throws -> Void

    public init(groups: ElastiCacheReplicationGroups, pollInterval: Duration,
                scheduleSet: @escaping @Sendable (TimerRecord) async throws -> Void,
                cancelSet: @escaping @Sendable (String) async throws -> Void) {
        self.groups = groups
        self.pollInterval = pollInterval
        self.scheduleSet = scheduleSet
        self.cancelSet = cancelSet
    }

    static func validate(_ step: StepDefinition, _ secret: SecretDefinition) throws(ParameterProblem) {
        try ParameterRules.oneOf(step, "phase", Phase.allCases.map(\.rawValue))
        guard let group = step.text("replication_group"), group.range(of: "^[A-Za-z][A-Za-z0-9-]{0,39}$", options: .regularExpression) != nil else {
            throw ParameterProblem(key: "replication_group", "must be an ElastiCache replication group ID (a letter, then up to 39 letters, digits, hyphens)")
        }
        try ParameterRules.duration(step, "timeout")
        if step.text("phase") == Phase.set.rawValue, secret.storage.kind != .awsSecretsManager {
            throw ParameterProblem(key: "phase", "set runs after the grace period and reads the token from Secrets Manager: storage.kind must be aws-secrets-manager")
        }
    }

    public func run(_ context: StepContext) async throws -> String {
        let group = try Self.group(context)
        switch try Self.phase(context) {
        case .rotate:
            let token = try await context.storedValue(version: try context.requireFact(FactKey.newVersion), role: "new")
            return try await modify(group, to: token, .rotate, fact: Fact.rotateBefore, context) ?? "\(group): ROTATE already applied; old and new tokens are valid"
        case .set:
            return try await setAfterGrace(group, context)
        }
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let group = try Self.group(context)
        switch try Self.phase(context) {
        case .rotate:
            guard context.facts[Fact.rotateBefore] != nil, let oldVersion = context.facts[FactKey.oldVersion] else { return nil }
            let old = try await context.storedValue(version: oldVersion, role: "old")
            // A SET must name the token rotated last (AWS's user guide), so the old token is
            // rotated in again first, then SET alone.
            _ = try await modify(group, to: old, .rotate, fact: Fact.rollbackBefore, context)
            return try await modify(group, to: old, .set, fact: Fact.rollbackSetBefore, context).map { _ in "\(group): back to the old token alone; the new one no longer works" }
                ?? "\(group): already back to the old token"
        case .set:
            if context.facts[Fact.setBefore] != nil {
                return "\(group): the old token was dropped (SET); ElastiCache cannot bring it back"
            }
            guard context.facts[Fact.setDue] != nil else { return nil }
            let id = ElastiCacheSetAction.timerID(rotationID: context.rotation.id, step: context.step.name)
            try await cancelSet(id)
            return "cancelled the scheduled SET \(id); the old token stays valid"
        }
    }

    func setAfterGrace(_ group: String, _ context: StepContext) async throws -> String {
        let newVersion = try context.requireFact(FactKey.newVersion)
        let grace = context.rotation.plan.grace ?? .zero
        guard grace > .zero else {
            let token = try await context.storedValue(version: newVersion, role: "new")
            return try await modify(group, to: token, .set, fact: Fact.setBefore, context).map { _ in "\(group): SET to the new token now (no grace period); the old one no longer works" }
                ?? "\(group): already SET to the new token"
        }
        let due = context.facts[Fact.setDue].flatMap(Timestamps.parseISO8601) ?? Date().addingTimeInterval(grace.timeInterval)
        _ = try await context.recordFacts([Fact.setDue: Timestamps.iso8601(due)])
        try await scheduleSet(ElastiCacheSetAction.timer(
            id: ElastiCacheSetAction.timerID(rotationID: context.rotation.id, step: context.step.name), rotationID: context.rotation.id,
            dueAt: due, group: group, secretName: context.definition.storage.name, versionID: newVersion))
        return "\(group): the old token stays valid for \(DurationText.format(grace)); SET to the new token scheduled for \(Timestamps.iso8601(due))"
    }

    /// One modify, exactly once: waits for the group to be `available`, records its token date as
    /// `fact` (unless a run before a crash did), sends the modify unless that date has moved since,
    /// and waits for `available` again. Nil when the modify had already been applied.
    func modify(_ group: String, to token: SecretValue, _ strategy: ElastiCacheTokenStrategy, fact: String, _ context: StepContext) async throws -> String? {
        guard ElastiCacheReplicationGroups.isValidToken(token) else {
            throw StepError.misconfigured("\(context.definition.id): an ElastiCache AUTH token is 16-128 printable characters without / \" @ % (check the generate step)")
        }
        let timeout = context.step.definition.text("timeout").flatMap { try? DurationText.parse($0) } ?? Self.defaultTimeout
        let before = try await waitAvailable(group, timeout: timeout)
        let stamp = before.authTokenLastModified.map(Timestamps.iso8601Fractional) ?? Self.never
        if let recorded = context.facts[fact] {
            guard recorded == stamp else { return nil }
        } else {
            _ = try await context.recordFacts([fact: stamp])
        }
        do {
            _ = try await groups.modifyAuthToken(group, token: token, strategy: strategy)
        } catch {
            throw error.adapterError
        }
        _ = try await waitAvailable(group, timeout: timeout)
        return "\(group): \(strategy.rawValue) applied"
    }

    /// Polls `DescribeReplicationGroups` until the group is `available`; fails after `timeout`
    /// naming the group and the status it was stuck in.
    func waitAvailable(_ group: String, timeout: Duration) async throws -> ElastiCacheReplicationGroup {
        let deadline = ContinuousClock.now + timeout
        while true {
            let described: ElastiCacheReplicationGroup
            do {
                described = try await groups.describe(group)
            } catch {
                throw error.adapterError
            }
            if described.isAvailable { return described }
            guard ContinuousClock.now + pollInterval < deadline else {
                throw AdapterError(system: "elasticache", operation: "wait for \(group) to be available",
                                   message: "still \(described.status) after \(DurationText.format(timeout))", isTransient: true)
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    static func group(_ context: StepContext) throws -> String {
        guard let group = context.step.definition.text("replication_group") else {
            throw StepError.misconfigured("step '\(context.step.name)' has no replication_group")
        }
        return group
    }

    static func phase(_ context: StepContext) throws -> Phase {
        guard let phase = context.step.definition.text("phase").flatMap(Phase.init(rawValue:)) else {
            throw StepError.misconfigured("step '\(context.step.name)': phase must be rotate or set")
        }
        return phase
    }
}
