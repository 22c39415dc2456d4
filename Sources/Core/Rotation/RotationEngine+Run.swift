import Foundation
import Logging
import ServiceLifecycle

/// Runs an approved rotation's steps in order, each written as running before it acts and as done
/// (or failed) after, so a restart knows exactly where to pick up.
extension RotationEngine {
    func drive(_ id: RotationID) async {
        queuedCount -= 1
        adopting.remove(id)
        guard !active.contains(id.rawValue) else { return }
        active.insert(id.rawValue)
        defer { active.remove(id.rawValue) }
        var logger = self.logger
        logger[metadataKey: "rotation.id"] = "\(id)"
        var failures = 0
        while true {
            do {
                let driveLogger = logger
                let ran: Bool? = try await leases.withLease(.rotation(id)) {
                    try await self.driveOnce(id, logger: driveLogger)
                    return true
                }
                if ran == nil { logger.debug("another replica holds this rotation's lease") }
                return
            } catch let lost as LeaseLost {
                logger.warning("stopped driving the rotation: the lease is gone; the replica holding it now resumes it",
                               metadata: ["reason": "\(lost.reason)"])
                return
            } catch let interruption as RotationInterrupted {
                logger.notice("rotation interrupted by shutdown; it resumes at the next start", metadata: ["during": "\(interruption.during)"])
                return
            } catch where Task.isCancelled {
                logger.notice("rotation interrupted by shutdown; it resumes at the next start", metadata: ["error": "\(error)"])
                return
            } catch {
                // Only the state store itself fails here (busy, locked, disk). Nobody else drives this
                // rotation, so never give up on it: retry with capped backoff, escalate once it persists.
                failures += 1
                let wait = RetryPolicy.backoff(attempt: failures, base: .seconds(1))
                logger.error("state store unavailable; retrying the rotation", metadata: [
                    "error": "\(Self.safeDescription(error))", "attempt": "\(failures)", "retry_in_ms": "\(wait.milliseconds)"])
                if failures == Self.stalledAfterFailures {
                    await deps.events.publish(.stalled(rotationID: id, attempts: failures, problem: Self.safeDescription(error)))
                }
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) } } catch { return }
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
            }
        }
    }

    /// After this many failures in a row the escalation channel hears of it.
    static let stalledAfterFailures = 3

    func driveOnce(_ id: RotationID, logger: Logger) async throws {
        guard let record = try await deps.state.rotation(id: id), record.status.needsDriving else { return }
        switch try await authorize(record) {
        case .refuse(let reason):
            try await refuseUnproven(record, reason: reason, logger: logger)
        case .rollBack(let definition, let reason):
            try await abandonChangedPlan(record, definition: definition, reason: reason, logger: logger)
        case .run(let definition):
            switch record.status {
            case .approved, .running, .verifying:
                try await runForward(record, definition: definition, logger: logger)
            case .rollingBack:
                try await runRollback(record, definition: definition, logger: logger)
            default:
                return
            }
        }
    }

    func runForward(_ start: RotationRecord, definition: SecretDefinition, logger: Logger) async throws {
        var record = start
        let adapters: (store: any SecretStore, target: (any DeployTarget)?)
        do {
            adapters = (try deps.adapters.secretStore(for: definition), try deps.adapters.deployTarget(for: definition))
        } catch {
            try await failBeforeStart(record, reason: "cannot reach the adapters: \(error)", logger: logger)
            return
        }
        var steps = try await deps.state.steps(rotationID: record.id)
        for planned in record.plan.steps {
            // Shutting down: start no new step; the next start picks up here.
            if Task.isCancelled || Task.isShuttingDownGracefully { throw RotationInterrupted(rotationID: record.id, during: "before \(planned.name)") }
            guard planned.index < steps.count else { throw StateStoreError("rotation \(record.id) lost its step rows") }
            if steps[planned.index].status == .done { continue }
            var step = steps[planned.index]
            step.status = .running
            step.startedAt = self.clock.now()
            step.endedAt = nil
            step.attempts += 1
            step.error = nil
            step.owner = LeaseContext.current?.owner
            try await deps.state.saveStep(step)
            record = try await deps.state.updateRotation(id: record.id) {
                $0.status = planned.kind == .verify ? .verifying : .running
            }
            steps[planned.index] = step
            await publishSnapshot(record) { .stepChanged($0, stepIndex: planned.index) }
            crash.reached("before:\(planned.name)")
            let summary: String
            do {
                summary = try await execute(planned, record: record, definition: definition, adapters: adapters,
                                            step: &step, logger: logger)
            } catch {
                // Cancelled by shutdown or a lost lease (whatever error the adapter turned that
                // into): not a failure.
                if Task.isCancelled { throw RotationInterrupted(rotationID: record.id, during: planned.name) }
                if error is LeaseLost { throw error }
                // The state store failed under the step: retried by ``drive(_:)``, never rolled back for it.
                if error is StateStoreUnavailable { throw error }
                let reason = "step '\(planned.name)' failed: \(Self.safeDescription(error))"
                step.status = .failed
                step.endedAt = self.clock.now()
                step.error = Self.safeDescription(error)
                RotationMetrics.step(planned, outcome: "failed", startedAt: step.startedAt, endedAt: step.endedAt)
                try await deps.state.saveStep(step)
                record = try await deps.state.updateRotation(id: record.id, audit: { record in
                    AuditEntry(actor: "aegis-rotate", action: .stepFailed, rotationID: record.id, secretID: record.secretID,
                               details: ["step": planned.name, "error": reason])
                }) {
                    $0.status = .rollingBack
                    $0.failure = reason
                }
                logger.error("step failed, rolling back", metadata: ["step": "\(planned.name)", "error": "\(reason)"])
                await publishSnapshot(record) { .stepChanged($0, stepIndex: planned.index) }
                await publishSnapshot(record) { .rollbackStarted($0, reason: reason) }
                crash.reached("failed:\(planned.name)")
                try await runRollback(record, definition: definition, logger: logger)
                return
            }
            // Outside the step's failure handling: a state store that fails here fails the write,
            // not the step, and ``drive(_:)`` retries (the step runs again; steps are idempotent).
            step.status = .done
            step.endedAt = self.clock.now()
            step.summary = summary
            RotationMetrics.step(planned, outcome: "done", startedAt: step.startedAt, endedAt: step.endedAt)
            try await deps.state.saveStep(step, audit: AuditEntry(
                actor: "aegis-rotate", action: .stepDone, rotationID: record.id, secretID: record.secretID,
                details: ["step": planned.name, "summary": summary, "replica": step.owner?.rawValue ?? ""]))
            steps[planned.index] = step
            record = try await deps.state.rotation(id: record.id) ?? record
            logger.info("step done", metadata: ["step": "\(planned.name)", "summary": "\(summary)"])
            await publishSnapshot(record) { .stepChanged($0, stepIndex: planned.index) }
            crash.reached("after:\(planned.name)")
        }
        record = try await deps.state.updateRotation(id: record.id, audit: { record in
            AuditEntry(actor: "aegis-rotate", action: .completed, rotationID: record.id, secretID: record.secretID,
                       details: ["new_version": record.facts[FactKey.newVersion] ?? "", "old_version": record.facts[FactKey.oldVersion] ?? ""])
        }) {
            $0.status = .completed
            $0.finishedAt = self.clock.now()
        }
        logger.notice("rotation completed")
        // Before the final event: whoever sees the rotation finished also sees what it resolved.
        await resolveEarlierEscalations(after: record)
        await publishSnapshot(record) { .finished($0, escalation: nil) }
    }

    /// Runs one step under the retry policy; each retry is counted in the step's row first.
    func execute(_ planned: PlannedStep, record: RotationRecord, definition: SecretDefinition,
                 adapters: (store: any SecretStore, target: (any DeployTarget)?), step: inout StepRecord,
                 logger: Logger) async throws -> String {
        guard let executor = deps.steps.executor(for: planned.kind) else {
            throw StepError.misconfigured("no executor for step kind '\(planned.kind.rawValue)' in this build")
        }
        var current = step
        defer { step = current }
        let state = deps.state
        return try await retry.run(planned.name, logger: logger, message: "step failed transiently, retrying", beforeRetry: { _, _ in
            current.attempts += 1
            do { try await state.saveStep(current) } catch let lost as LeaseLost { throw lost } catch {
                throw StateStoreUnavailable(underlying: "\(type(of: error))")
            }
        }) {
            let context: StepContext
            do {
                context = try await stepContext(planned, rotationID: record.id, definition: definition, adapters: adapters, logger: logger)
            } catch {
                throw StateStoreUnavailable(underlying: "\(type(of: error))")
            }
            return try await executor.run(context)
        }
    }

    func stepContext(_ planned: PlannedStep, rotationID: RotationID, definition: SecretDefinition,
                     adapters: (store: any SecretStore, target: (any DeployTarget)?), logger: Logger) async throws -> StepContext {
        guard let record = try await deps.state.rotation(id: rotationID) else { throw StateStoreError("rotation \(rotationID) vanished") }
        let state = deps.state
        let events = deps.events
        return StepContext(
            rotation: record, step: planned, definition: definition, store: adapters.store, target: adapters.target,
            checks: deps.checks, settings: deps.settings, logger: logger,
            recordFacts: { facts in
                do {
                    return try await state.updateRotation(id: rotationID) { $0.facts.merge(facts) { _, new in new } }.facts
                } catch let lost as LeaseLost {
                    throw lost
                } catch {
                    throw StateStoreUnavailable(underlying: "\(type(of: error))")
                }
            },
            announce: { [weak self] announcement in
                guard let self, let snapshot = try? await self.snapshot(id: rotationID) else { return }
                switch announcement {
                case .note(let text): await events.publish(.note(snapshot, text))
                case .verification(let report): await events.publish(.verification(snapshot, report))
                case .keyRequest(let request): await events.publish(.keyRequested(snapshot, request))
                }
            },
            cleanupNow: { [weak self] keys in
                guard let self else { throw CancellationError() }
                return try await self.removeOldKeys(rotationID: rotationID, keys: keys,
                                                    expectedVersion: record.facts[FactKey.oldVersion] ?? "")
            }
        )
    }

    /// A rotation whose adapters cannot even be built has changed nothing: it ends as failed-before-start.
    func failBeforeStart(_ record: RotationRecord, reason: String, logger: Logger) async throws {
        let failed = try await deps.state.updateRotation(id: record.id, audit: { record in
            AuditEntry(actor: "aegis-rotate", action: .failedBeforeStart, rotationID: record.id, secretID: record.secretID,
                       details: ["error": reason])
        }) {
            $0.status = .rolledBack
            $0.failure = reason
            $0.finishedAt = self.clock.now()
        }
        logger.error("rotation could not start", metadata: ["error": "\(reason)"])
        let definition = deps.inventory.definition(named: record.secretID)
        await publishSnapshot(failed) {
            .finished($0, escalation: Escalation(rotationID: record.id, secretID: record.secretID, whatFailed: reason,
                                                 whatWasRestored: ["nothing had changed"], action: definition?.escalation ?? ""))
        }
    }

    /// Errors are posted to people: only types known to be safe print themselves; anything else is
    /// reduced to its type name, so an unexpected error can never carry a value into a message.
    public static func safeDescription(_ error: any Error) -> String {
        switch error {
        case let error as StepError: error.description
        case let error as AdapterError: error.description
        case let error as StateStoreError: error.description
        case let error as LeaseLost: error.description
        case is CancellationError: "cancelled"
        default: "unexpected \(type(of: error)) (details in the log)"
        }
    }
}
