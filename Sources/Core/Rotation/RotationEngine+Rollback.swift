import Foundation
import Logging

/// Rollback (SPEC §3.6): undo every step that ran, newest first; restart once with the restored
/// config; re-verify against the old version; escalate with what failed and what was restored.
extension RotationEngine {
    func runRollback(_ start: RotationRecord, definition: SecretDefinition, logger: Logger) async throws {
        var record = start
        var steps = try await deps.state.steps(rotationID: record.id)
        var restored: [String] = []
        var problems: [String] = []
        let adapters: (store: any SecretStore, target: (any DeployTarget)?)
        do {
            adapters = (try deps.adapters.secretStore(for: definition), try deps.adapters.deployTarget(for: definition))
        } catch {
            problems.append("cannot reach the adapters: \(error)")
            try await finishRollback(record, definition: definition, restored: restored, problems: problems, logger: logger)
            return
        }
        let undoable: Set<StepStatus> = [.done, .failed, .running, .rollbackFailed]
        for planned in record.plan.steps.reversed() where undoable.contains(steps[planned.index].status) {
            var step = steps[planned.index]
            guard let executor = deps.steps.executor(for: planned.kind) else { continue }
            do {
                let context: StepContext
                do {
                    context = try await stepContext(planned, rotationID: record.id, definition: definition, adapters: adapters, logger: logger)
                } catch {
                    throw StateStoreUnavailable(underlying: "\(type(of: error))")
                }
                if let what = try await retry.run("undo \(planned.name)", logger: logger, { try await executor.rollback(context) }) {
                    restored.append(what)
                }
                step.status = .rolledBack
            } catch {
                if Task.isCancelled { throw RotationInterrupted(rotationID: record.id, during: "undo \(planned.name)") }
                if error is StateStoreUnavailable { throw error }
                step.status = .rollbackFailed
                step.error = Self.safeDescription(error)
                problems.append("undoing '\(planned.name)' failed: \(Self.safeDescription(error))")
            }
            step.endedAt = self.clock.now()
            try await deps.state.saveStep(step, audit: AuditEntry(
                actor: "aegis-rotate", action: step.status == .rolledBack ? .stepRolledBack : .stepRollbackFailed,
                rotationID: record.id, secretID: record.secretID, details: ["step": planned.name, "error": step.error ?? ""]))
            steps[planned.index] = step
            await publishSnapshot(record) { .stepChanged($0, stepIndex: planned.index) }
            crash.reached("rollback:\(planned.name)")
        }
        let restartRan = record.plan.steps.contains { $0.kind == .restart && steps[$0.index].status != .pending }
        if restartRan, problems.isEmpty, let target = adapters.target, let location = definition.deploy {
            do {
                try await restartAndWait(target, location, what: "restart after restore", logger: logger)
                restored.append("deployment/\(location.deployment) restarted with the restored config")
            } catch {
                if Task.isCancelled { throw RotationInterrupted(rotationID: record.id, during: "restart after restore") }
                problems.append("restart after restore failed: \(Self.safeDescription(error))")
            }
        }
        if problems.isEmpty, let oldVersion = record.facts[FactKey.oldVersion], !definition.checks.isEmpty {
            let context = CheckContext(definition: definition, store: adapters.store, target: adapters.target,
                                       expectedCurrentVersion: oldVersion, settings: deps.settings, logger: logger)
            let report = await deps.checks.run(definition.checks, context: context, phase: .afterRollback)
            if Task.isCancelled { throw RotationInterrupted(rotationID: record.id, during: "re-verification after restore") }
            await publishSnapshot(record) { .verification($0, report) }
            if !report.passed { problems.append("re-verification of the restored version failed") }
        }
        record = try await deps.state.rotation(id: record.id) ?? record
        try await finishRollback(record, definition: definition, restored: restored, problems: problems, logger: logger)
    }

    func finishRollback(_ record: RotationRecord, definition: SecretDefinition, restored: [String], problems: [String], logger: Logger) async throws {
        let outcome: RotationStatus = problems.isEmpty ? .rolledBack : .failed
        let finished = try await deps.state.updateRotation(id: record.id, audit: { record in
            AuditEntry(actor: "aegis-rotate", action: outcome == .rolledBack ? .rolledBack : .rollbackFailed,
                       rotationID: record.id, secretID: record.secretID,
                       details: ["restored": restored.joined(separator: "; "), "problems": problems.joined(separator: "; "),
                                 "failure": record.failure ?? ""])
        }) {
            $0.status = outcome
            $0.finishedAt = self.clock.now()
        }
        logger.error("rotation rolled back", metadata: ["outcome": "\(outcome.rawValue)", "problems": "\(problems.joined(separator: "; "))"])
        let escalation = Escalation(
            rotationID: record.id, secretID: record.secretID,
            whatFailed: ([record.failure ?? "unknown failure"] + problems).joined(separator: "; "),
            whatWasRestored: restored.isEmpty ? ["nothing needed restoring"] : restored,
            action: definition.escalation)
        await publishSnapshot(finished) { .finished($0, escalation: escalation) }
    }
}
