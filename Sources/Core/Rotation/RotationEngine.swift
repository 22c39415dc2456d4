import Foundation
import Logging
import ServiceLifecycle

/// The rotation engine: takes requests and decisions, runs approved rotations step by step,
/// rolls back on failure, and fires durable timers. It knows nothing of Slack or any cloud: it
/// talks to stores and targets through ``AdapterResolver`` and to people through
/// ``RotationEventSink``.
///
/// Every state change is written to the ``StateStore`` before the side effect it enables, so a
/// restart (``run()`` resumes every unfinished rotation) finishes or rolls back whatever a crash
/// interrupted.
public actor RotationEngine: Service {
    let deps: EngineDependencies
    let planBuilder: PlanBuilder
    let crash: CrashPoint
    /// Takes the lease on each rotation and timer before acting on it (one replica acts on each).
    public let leases: LeaseKeeper
    /// How steps, undos and restarts are retried.
    let retry: RetryPolicy
    var logger: Logger
    /// What runs here now: rotation IDs, and `timer:<id>` for timers firing.
    var active: Set<String> = []
    /// Rotations ``adoptUndriven()`` queued that have not started yet (so it queues each once).
    var adopting: Set<RotationID> = []
    var queuedCount = 0
    /// Set once ``run()`` has queued every unfinished rotation, so ``waitUntilIdle()`` cannot
    /// return before recovery has even begun.
    var recovered = false
    /// Set once ``run()`` returned: nothing will drive a rotation in this process any more.
    var stopped = false
    let queue: AsyncStream<RotationID>
    let queueContinuation: AsyncStream<RotationID>.Continuation

    public init(_ deps: EngineDependencies) {
        self.deps = deps
        self.planBuilder = PlanBuilder(environment: deps.environment, settings: deps.settings, catalog: deps.steps.catalog)
        self.crash = CrashPoint(configured: deps.crashPoint)
        self.logger = deps.logger
        self.retry = RetryPolicy(deps.settings)
        self.leases = LeaseKeeper(state: deps.state, owner: deps.owner, ttl: deps.settings.leaseTTL, logger: deps.logger)
        (queue, queueContinuation) = AsyncStream.makeStream(of: RotationID.self)
    }

    public var inventory: Inventory { deps.inventory }
    /// The time of day (``EngineDependencies/clock``).
    public nonisolated var clock: any WallClock { deps.clock }
    func now() -> Date { deps.clock.now() }
    public var settings: RotationSettings { deps.settings }
    public var approverGroup: String { deps.approvers.groupName }

    /// Resumes unfinished rotations, then drives approved ones until graceful shutdown. Every
    /// ``RotationSettings/adoptionInterval`` it looks again for rotations that need driving and
    /// are not driven here: with several replicas, those whose holder died (their lease expired).
    ///
    /// On graceful shutdown no new rotation starts and no running one starts its next step; a
    /// step already running gets ``RotationSettings/shutdownGrace`` to finish and is then
    /// cancelled, which leaves it as a crash would (see ``RotationInterrupted``).
    public func run() async throws {
        for record in try await deps.state.rotations(statuses: Set(RotationStatus.allCases.filter(\.needsDriving))) {
            logger.notice("resuming unfinished rotation", metadata: ["rotation.id": "\(record.id)", "rotation.status": "\(record.status.rawValue)"])
            enqueue(record.id)
        }
        recovered = true
        let stream = queue
        let continuation = queueContinuation
        await withGracefulShutdownHandler {
            await ShutdownGrace.run(grace: deps.settings.shutdownGrace) {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.adoptUndriven() }
                    for await id in stream {
                        group.addTask { await self.drive(id) }
                    }
                    group.cancelAll()
                }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
        stopped = true
    }

    /// Until shutdown: queues every rotation that needs driving and is neither running nor queued
    /// here. ``drive(_:)`` then takes its lease, or leaves it to the replica that holds one.
    func adoptUndriven() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.deps.settings.adoptionInterval) } } catch { return }
            guard !stopped, !Task.isShuttingDownGracefully else { return }
            do {
                for record in try await deps.state.rotations(statuses: Set(RotationStatus.allCases.filter(\.needsDriving)))
                where !active.contains(record.id.rawValue) && !adopting.contains(record.id) {
                    adopting.insert(record.id)
                    enqueue(record.id)
                }
            } catch {
                logger.warning("cannot look for rotations to take over", metadata: ["error": "\(Self.safeDescription(error))"])
            }
        }
    }

    func enqueue(_ id: RotationID) {
        queuedCount += 1
        queueContinuation.yield(id)
    }

    /// Returns once recovery ran and no rotation or timer is queued or running (the shell waits
    /// for this before exiting).
    /// Returns early when the task is cancelled or the engine stopped (shutdown): nothing would
    /// drive the queued work any more.
    public func waitUntilIdle() async {
        while !stopped && !Task.isCancelled && (!recovered || queuedCount > 0 || !active.isEmpty) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: - Requests

    /// `/rotate <secret> [--leaked] [reason]`.
    public func request(secretName: String, requester: String, reason: String, leaked: Bool, channel: String) async throws -> RequestOutcome {
        guard let definition = deps.inventory.definition(named: secretName) else {
            try await deps.state.appendAudit(AuditEntry(actor: requester, action: .requestRefused,
                                                         details: ["reason": "unknown secret", "name": String(secretName.prefix(80))]))
            return .unknownSecret(name: secretName, suggestion: deps.inventory.closestName(to: secretName),
                                  validNames: deps.inventory.definitions.map(\.id))
        }
        let plan = planBuilder.plan(for: definition, leaked: leaked)
        let missing = missingRequirements(definition, plan: plan)
        guard missing.isEmpty else {
            try await deps.state.appendAudit(AuditEntry(actor: requester, action: .requestRefused, secretID: definition.id,
                                                         details: ["reason": "environment not ready", "missing": missing.joined(separator: " | ")]))
            return .notReady(secretID: definition.id, missing: missing)
        }
        let now = now()
        let expires = now.addingTimeInterval(deps.settings.approvalTTL.timeInterval)
        let creation = try await deps.state.createRotation(
            secretID: definition.id,
            audit: AuditEntry(actor: requester, action: .requested, secretID: definition.id,
                              details: ["leaked": "\(leaked)", "plan_digest": plan.digest, "reason": reason, "channel": channel])
        ) { number in
            RotationRecord(id: RotationID(number: number), number: number, secretID: definition.id, requester: requester, reason: reason,
                           leaked: leaked, status: .awaitingApproval, plan: plan, planDigest: plan.digest, requestedAt: now,
                           expiresAt: expires, origin: ChatOrigin(channel: channel), facts: [:], definition: definition)
        }
        switch creation {
        case .alreadyOpen(let open):
            try await deps.state.appendAudit(AuditEntry(actor: requester, action: .requestRefused, rotationID: open.id,
                                                         secretID: definition.id, details: ["reason": "already open"]))
            return .alreadyOpen(open)
        case .created(let record):
            for step in plan.steps {
                try await deps.state.saveStep(StepRecord(rotationID: record.id, index: step.index, name: step.name))
            }
            try await deps.state.scheduleTimer(TimerRecord(id: "expiry-\(record.id)", kind: .approvalExpiry,
                                                           rotationID: record.id, dueAt: expires))
            let snapshot = try await snapshot(of: record)
            logger.notice("rotation requested", metadata: ["rotation.id": "\(record.id)", "secret.id": "\(definition.id)"])
            await deps.events.publish(.requested(snapshot))
            return .created(snapshot)
        }
    }

    /// What this environment lacks to run the plan: the store and target the adapters could not
    /// provide, then every step and check whose type has no executor or runner here, each with the
    /// reason derived from the registrations.
    func missingRequirements(_ definition: SecretDefinition, plan: RotationPlan) -> [String] {
        var missing = deps.adapters.missingRequirements(for: definition, plan: plan)
        for step in plan.steps {
            if let problem = deps.steps.problem(for: step.definition) {
                missing.append("step '\(step.name)' (\(deps.steps.catalog.headline(of: step.kind).lowercased())): \(problem)")
            }
        }
        for check in uniqueKinds(plan.checks) {
            if let problem = deps.checks.problem(for: check, catalog: deps.steps.catalog) {
                missing.append("check '\(check.kind)' (\(check.title)): \(problem)")
            }
        }
        return missing
    }

    private func uniqueKinds(_ checks: [CheckDefinition]) -> [CheckDefinition] {
        var seen: Set<CheckTypeName> = []
        return checks.filter { seen.insert($0.kind).inserted }
    }

    /// The plan a request would run now, and what is missing to run it.
    public func preview(secretName: String, leaked: Bool) -> (plan: RotationPlan, definition: SecretDefinition, missing: [String])? {
        guard let definition = deps.inventory.definition(named: secretName) else { return nil }
        let plan = planBuilder.plan(for: definition, leaked: leaked)
        return (plan, definition, missingRequirements(definition, plan: plan))
    }

    /// Front ends record where the request message lives, so progress updates it in place.
    public func attachMessage(rotationID: RotationID, channel: String, messageRef: String) async throws {
        try await deps.state.updateRotation(id: rotationID) { record in
            record.origin = ChatOrigin(channel: channel, messageRef: messageRef)
        }
    }

    // MARK: - Snapshots

    public func snapshot(id: RotationID) async throws -> RotationSnapshot? {
        guard let record = try await deps.state.rotation(id: id) else { return nil }
        return try await snapshot(of: record)
    }

    func snapshot(of record: RotationRecord) async throws -> RotationSnapshot {
        let steps = try await deps.state.steps(rotationID: record.id)
        guard let definition = record.definition ?? deps.inventory.definition(named: record.secretID) else {
            throw StateStoreError("rotation \(record.id) names \(record.secretID), which is no longer in the inventory")
        }
        return RotationSnapshot(record: record, steps: steps, definition: definition)
    }

    func publishSnapshot(_ record: RotationRecord, _ make: (RotationSnapshot) -> RotationEvent) async {
        let snapshot: RotationSnapshot
        do {
            snapshot = try await self.snapshot(of: record)
        } catch {
            // People would miss this update; say so where an operator looks.
            logger.error("could not publish a rotation event: its snapshot could not be read",
                         metadata: ["rotation.id": "\(record.id)", "error": "\(Self.safeDescription(error))"])
            return
        }
        let event = make(snapshot)
        switch event {
        case .finished(let snapshot, _), .decided(let snapshot): RotationMetrics.ended(snapshot.record)
        default: break
        }
        await deps.events.publish(event)
    }
}
