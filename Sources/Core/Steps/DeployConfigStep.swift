import Foundation
/// `deploy-config`: write config keys from the new or old version, each with a `<key>_id` companion
/// holding the version ID (the JWT `kid`). Before writing, it records which version each touched
/// key held, so a rollback restores exactly that, reading values back from the store (the state
/// store never holds a value).
public struct DeployConfigStep: StepExecutor {
    public init() {}

    static let absent = "absent"
    static let unknown = "unknown"

    public func run(_ context: StepContext) async throws -> String {
        let (target, location) = try context.requireTarget()
        let assignments = context.step.definition.map("set")
        let removals = context.step.definition.list("remove")
        var facts = context.facts
        let touched = Set(assignments.keys).union(removals)
        if touched.contains(where: { facts[FactKey.before(step: context.step.name, $0)] == nil }) {
            let config = try await target.readConfig(location)
            var before: [String: String] = [:]
            for key in touched where facts[FactKey.before(step: context.step.name, key)] == nil {
                before[FactKey.before(step: context.step.name, key)] = Self.versionHeld(by: key, in: config)
            }
            facts = try await context.recordFacts(before)
        }
        var set: [String: SecretValue] = [:]
        for (key, source) in assignments {
            let versionID = try context.requireFact(source == "new" ? FactKey.newVersion : FactKey.oldVersion)
            guard let value = try await context.store.value(secret: context.definition.storage, versionID: versionID) else {
                throw StepError.storeInconsistent("version \(versionID) of \(context.definition.storage.name) is missing")
            }
            set[key] = value
            set[ConfigKeyID.key(for: key)] = SecretValue(utf8: versionID)
        }
        let removed = removals.flatMap { [$0, ConfigKeyID.key(for: $0)] }
        try await target.patchConfig(location, set: set, remove: removed)
        let described = assignments.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value) version" } + removals.map { "removed \($0)" }
        return "\(location.objectDescription): " + described.joined(separator: ", ")
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let (target, location) = try context.requireTarget()
        let touched = Set(context.step.definition.map("set").keys).union(context.step.definition.list("remove"))
        var set: [String: SecretValue] = [:]
        var remove: [String] = []
        var restored: [String] = []
        for key in touched.sorted() {
            guard let before = context.facts[FactKey.before(step: context.step.name, key)] else { continue }
            switch before {
            case Self.absent:
                remove += [key, ConfigKeyID.key(for: key)]
                restored.append("\(key) removed (it was not set before)")
            default:
                let versionID = before == Self.unknown ? try context.requireFact(FactKey.oldVersion) : before
                guard let value = try await context.store.value(secret: context.definition.storage, versionID: versionID) else {
                    throw StepError.storeInconsistent("cannot restore \(key): version \(versionID) is missing from the store")
                }
                set[key] = value
                set[ConfigKeyID.key(for: key)] = SecretValue(utf8: versionID)
                restored.append("\(key) = version \(versionID)")
            }
        }
        guard !set.isEmpty || !remove.isEmpty else { return nil }
        try await target.patchConfig(location, set: set, remove: remove)
        return "\(location.objectDescription): " + restored.joined(separator: ", ")
    }

    /// Which version a config key holds now: its `_id` companion, `absent`, or `unknown`.
    static func versionHeld(by key: String, in config: [String: SecretValue]) -> String {
        guard config[key] != nil else { return absent }
        return config[ConfigKeyID.key(for: key)]?.revealSecretString() ?? unknown
    }
}
