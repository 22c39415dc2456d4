import Foundation
import Logging

/// What durable timers do when they fire: grace clean-up, approval expiry, overdue reminders.
extension RotationEngine {
    /// Fires one claimed timer; returns a note for the timer row. Throws to have it retried.
    public func fire(_ timer: TimerRecord) async throws -> String {
        let key = "timer:\(timer.id)"
        active.insert(key)
        defer { active.remove(key) }
        switch timer.kind {
        case .approvalExpiry:
            guard let id = timer.rotationID else { return "no rotation" }
            return try await expire(id) ? "expired \(id)" : "\(id) was already decided"
        case .graceCleanup:
            guard let id = timer.rotationID else { return "no rotation" }
            let keys = (timer.payload["remove"] ?? "").split(separator: ",").map(String.init)
            return try await removeOldKeys(rotationID: id, keys: keys, expectedVersion: timer.payload["expected_version"] ?? "")
        case .deferredAction:
            return try await performDeferred(timer)
        case .dueCheck:
            let overdue = await dueReport().filter { $0.status == .overdue }
            if !overdue.isEmpty {
                try await deps.state.appendAudit(AuditEntry(actor: "aegis-rotate", action: .overdue,
                                                             details: ["secrets": overdue.map(\.secretID).joined(separator: ",")]))
                await deps.events.publish(.overdue(overdue))
            }
            try await scheduleNextDueCheck(after: self.clock.now())
            return overdue.isEmpty ? "nothing overdue" : "\(overdue.count) overdue"
        }
    }

    /// Runs a provider's deferred action, audits it and posts it in the rotation's thread. An
    /// action this process does not know is an error (retried), never silently dropped.
    func performDeferred(_ timer: TimerRecord) async throws -> String {
        let name = timer.payload[DeferredActionRegistry.payloadKey] ?? ""
        guard let action = deps.deferredActions.actions[name] else {
            throw StepError.misconfigured("timer \(timer.id) needs the deferred action '\(name)', which this build or environment does not have")
        }
        let summary = try await action.perform(payload: timer.payload)
        var record: RotationRecord?
        if let id = timer.rotationID { record = try await deps.state.rotation(id: id) }
        try await deps.state.appendAudit(AuditEntry(actor: "aegis-rotate", action: .deferred(name), rotationID: record?.id,
                                                     secretID: record?.secretID, details: ["summary": summary]))
        if let record, action.announcesInThread {
            await publishSnapshot(record) { .graceCleanup($0, summary: summary, escalation: nil) }
        }
        return summary
    }

    /// Arms the overdue reminder unless one is already pending. Under a lease of its own, so
    /// replicas starting together arm one reminder between them, not one each; a replica that
    /// finds the lease held leaves the arming to its holder.
    public func scheduleDueCheckIfNeeded() async throws {
        let state = deps.state
        _ = try await leases.withLease(LeaseName(rawValue: "arm:due-check")) {
            if try await state.pendingTimers(kind: .dueCheck).isEmpty {
                try await self.scheduleNextDueCheck(after: self.clock.now())
            }
        }
    }

    func scheduleNextDueCheck(after date: Date) async throws {
        let due = date.addingTimeInterval(deps.settings.dueCheckInterval.timeInterval)
        try await deps.state.scheduleTimer(TimerRecord(id: "due-check-\(UUID().uuidString.lowercased())", kind: .dueCheck,
                                                       rotationID: nil, dueAt: due))
    }

    /// Removes the old key's config entries (only if they still hold `expectedVersion`; a later
    /// rotation may have replaced them), restarts, and re-verifies. If verification fails the keys
    /// go back, the deployment restarts again, and it escalates.
    func removeOldKeys(rotationID: RotationID, keys: [String], expectedVersion: String) async throws -> String {
        guard let record = try await deps.state.rotation(id: rotationID),
              let definition = deps.inventory.definition(named: record.secretID),
              let location = definition.deploy,
              let target = try deps.adapters.deployTarget(for: definition) else {
            return "nothing to clean: \(rotationID) or its deploy target is gone"
        }
        let store = try deps.adapters.secretStore(for: definition)
        let config = try await target.readConfig(location)
        let toRemove = keys.filter { DeployConfigStep.versionHeld(by: $0, in: config) == expectedVersion }
        let superseded = keys.filter { !toRemove.contains($0) && config[$0] != nil }
        guard !toRemove.isEmpty else {
            let summary = superseded.isEmpty
                ? "old key \(expectedVersion) was already removed"
                : "left \(superseded.joined(separator: ", ")) alone: a later rotation replaced version \(expectedVersion)"
            try await auditCleanup(record, summary: summary)
            await publishSnapshot(record) { .graceCleanup($0, summary: summary, escalation: nil) }
            return summary
        }
        try await deps.state.appendAudit(AuditEntry(actor: "aegis-rotate", action: .graceCleanupStarted, rotationID: record.id,
                                                     secretID: record.secretID, details: ["remove": toRemove.joined(separator: ","), "version": expectedVersion]))
        let removedKeys = toRemove.flatMap { [$0, ConfigKeyID.key(for: $0)] }
        try await retry.run("remove the old key", logger: logger) { try await target.patchConfig(location, set: [:], remove: removedKeys) }
        try await restartAndWait(target, location, what: "restart without the old key", logger: logger)
        let current = try await store.version(secret: definition.storage, stage: .current)?.versionID ?? ""
        let context = CheckContext(definition: definition, store: store, target: target, expectedCurrentVersion: current,
                                   settings: deps.settings, logger: logger)
        let report = await deps.checks.run(definition.checks, context: context, phase: .afterCleanup)
        await publishSnapshot(record) { .verification($0, report) }
        if report.passed {
            let summary = "removed \(toRemove.joined(separator: ", ")) (version \(expectedVersion)) and restarted deployment/\(location.deployment); checks pass"
            try await auditCleanup(record, summary: summary)
            await publishSnapshot(record) { .graceCleanup($0, summary: summary, escalation: nil) }
            return summary
        }
        guard let oldValue = try await store.value(secret: definition.storage, versionID: expectedVersion) else {
            throw StepError.storeInconsistent("cannot put back version \(expectedVersion): it is missing from the store")
        }
        var restore: [String: SecretValue] = [:]
        for key in toRemove {
            restore[key] = oldValue
            restore[ConfigKeyID.key(for: key)] = SecretValue(utf8: expectedVersion)
        }
        try await retry.run("put the old key back", logger: logger) { try await target.patchConfig(location, set: restore, remove: []) }
        try await restartAndWait(target, location, what: "restart with the old key back", logger: logger)
        let summary = "removing the old key broke verification; put \(toRemove.joined(separator: ", ")) back and restarted"
        try await auditCleanup(record, summary: summary)
        let escalation = Escalation(rotationID: record.id, secretID: record.secretID,
                                    whatFailed: "verification after removing the old key (version \(expectedVersion))",
                                    whatWasRestored: toRemove.map { "\($0) = version \(expectedVersion)" }, action: definition.escalation)
        await publishSnapshot(record) { .graceCleanup($0, summary: summary, escalation: escalation) }
        throw StepError.verificationFailed(report)
    }

    func auditCleanup(_ record: RotationRecord, summary: String) async throws {
        try await deps.state.appendAudit(AuditEntry(actor: "aegis-rotate", action: .graceCleanup, rotationID: record.id,
                                                     secretID: record.secretID, details: ["summary": summary]))
    }
}
