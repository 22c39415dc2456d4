import AegisCore
import Foundation

/// `anthropic-key-retire`: after verification the old key is set `inactive` (it can be switched
/// back on), and `archived` (final) after the grace period by a durable timer
/// (``AnthropicKeyArchiveAction``); with no grace (a leak response) it is archived at once.
/// The old key's ID is found by listing the organization's keys and matching
/// `partial_key_hint` against the old value (and not the new one).
///
/// Rollback, while the key is only inactive, cancels the timer and sets it `active` again.
struct AnthropicKeyRetireStep: StepExecutor {
    enum Fact {
        static let oldKeyID = "anthropic.key.old"
        static let inactive = "anthropic.key.old.inactive"
        static let archiveDue = "anthropic.key.old.archive-due"
        static let archived = "anthropic.key.old.archived"
    }

    let anthropic: AnthropicClient
    let schedule: @Sendable (TimerRecord) async throws -> Void
    let cancel: @Sendable (String) async throws -> Void

    static func timerID(rotationID: RotationID, step: String) -> String { "anthropic-archive-\(rotationID)-\(step)" }

    func run(_ context: StepContext) async throws -> String {
        guard let oldKey = try await oldKeyID(context) else {
            return "no Anthropic key matches the old key any more (archived or deleted already); nothing to retire"
        }
        _ = try await context.recordFacts([Fact.oldKeyID: oldKey, Fact.inactive: "yes"])
        guard let key = try await AnthropicKeyValues.call({ () throws(AnthropicError) in try await anthropic.apiKey(id: oldKey) }) else {
            return "the old Anthropic key \(oldKey) no longer exists"
        }
        if key.status == .active {
            try await AnthropicKeyValues.call { () throws(AnthropicError) in _ = try await anthropic.setStatus(id: oldKey, .inactive) }
        }
        let grace = context.rotation.plan.grace ?? .zero
        if grace <= .zero {
            _ = try await context.recordFacts([Fact.archived: "yes"])
            if key.status != .archived {
                try await AnthropicKeyValues.call { () throws(AnthropicError) in _ = try await anthropic.setStatus(id: oldKey, .archived) }
            }
            return "archived the old Anthropic key \(oldKey) at once (no grace period); this cannot be undone"
        }
        if key.status == .archived { return "the old Anthropic key \(oldKey) is archived already" }
        let due = context.facts[Fact.archiveDue].flatMap(Timestamps.parseISO8601) ?? Date().addingTimeInterval(grace.timeInterval)
        _ = try await context.recordFacts([Fact.archiveDue: Timestamps.iso8601(due)])
        try await schedule(DeferredActionRegistry.timer(
            id: Self.timerID(rotationID: context.rotation.id, step: context.step.name), action: AnthropicKeyArchiveAction.name,
            rotationID: context.rotation.id, dueAt: due, payload: ["api_key_id": oldKey]))
        return "the old Anthropic key \(oldKey) is inactive (it can be set active again) for \(DurationText.format(grace)); " +
            "archiving is scheduled for \(Timestamps.iso8601(due)) and cannot be undone once done"
    }

    func rollback(_ context: StepContext) async throws -> String? {
        let facts = context.facts
        guard let oldKey = facts[Fact.oldKeyID] else { return nil }
        if facts[Fact.archived] != nil {
            return "the old Anthropic key \(oldKey) was archived and cannot be restored; make a new key"
        }
        var done: [String] = []
        if facts[Fact.archiveDue] != nil {
            try await cancel(Self.timerID(rotationID: context.rotation.id, step: context.step.name))
            done.append("cancelled the scheduled archiving")
        }
        if facts[Fact.inactive] != nil {
            let key = try await AnthropicKeyValues.call { () throws(AnthropicError) in try await anthropic.apiKey(id: oldKey) }
            switch key?.status {
            case .inactive?:
                try await AnthropicKeyValues.call { () throws(AnthropicError) in _ = try await anthropic.setStatus(id: oldKey, .active) }
                done.append("the old Anthropic key \(oldKey) is active again")
            case .archived?:
                done.append("the old Anthropic key \(oldKey) was archived and cannot be restored")
            default:
                done.append("the old Anthropic key \(oldKey) is \(key?.status?.rawValue ?? "gone")")
            }
        }
        return done.isEmpty ? nil : done.joined(separator: "; ")
    }

    /// Recorded, or found by its hint: exactly one key that matches the old value and not the new.
    func oldKeyID(_ context: StepContext) async throws -> String? {
        if let recorded = context.facts[Fact.oldKeyID] { return recorded }
        let old = try await context.storedValue(fact: FactKey.oldVersion, role: "old key")
        let new = try await context.storedValue(fact: FactKey.newVersion, role: "new key")
        let keys = try await AnthropicKeyValues.call { () throws(AnthropicError) in try await anthropic.apiKeys() }
        let matching = keys.filter { $0.matches(old) && !$0.matches(new) && $0.status != .archived }
        guard matching.count <= 1 else {
            throw StepError.refused("\(matching.count) Anthropic keys match the old key's hint (\(matching.map(\.id).joined(separator: ", "))); " +
                                    "set the old one inactive in the Console. Nothing was changed.")
        }
        return matching.first?.id
    }
}

/// The durable timer's half: archives the old key only while it is still `inactive`. A key
/// someone set active again during the grace period is left alone and reported, never archived
/// from under a running service.
struct AnthropicKeyArchiveAction: DeferredAction {
    static let name = "anthropic-archive-api-key"
    let anthropic: AnthropicClient

    func perform(payload: [String: String]) async throws -> String {
        guard let id = payload["api_key_id"] else { throw StepError.misconfigured("the archive timer lacks api_key_id") }
        guard let key = try await AnthropicKeyValues.call({ () throws(AnthropicError) in try await anthropic.apiKey(id: id) }) else {
            return "the old Anthropic key \(id) no longer exists"
        }
        switch key.status {
        case .archived?: return "the old Anthropic key \(id) was already archived"
        case .inactive?:
            try await AnthropicKeyValues.call { () throws(AnthropicError) in _ = try await anthropic.setStatus(id: id, .archived) }
            return "archived the old Anthropic key \(id) after the grace period; this cannot be undone"
        default:
            return "left the old Anthropic key \(id) alone: it is \(key.status?.rawValue ?? "in an unknown state") again"
        }
    }
}
