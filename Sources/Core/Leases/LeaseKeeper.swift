import Foundation
import Logging

/// Holds a lease while work runs under it: takes it, renews it every quarter of its TTL, and
/// cancels the work when it cannot be sure it still holds it.
///
/// The store decides expiry by its own clock (PostgreSQL's, for several replicas), so replicas'
/// clocks need not agree. This side only needs a conservative bound: a renewal that started at
/// local time `t` and succeeded keeps the lease until at least `t + ttl` in the store. When no
/// renewal has succeeded for long enough that less than a quarter of the TTL is left (the store is
/// unreachable, a partition), the work is cancelled, which leaves it exactly as a crash would,
/// well before another replica may take the lease over.
public struct LeaseKeeper: Sendable {
    public let state: any StateStore
    public let owner: ReplicaOwner
    public let ttl: Duration
    let logger: Logger

    public init(state: any StateStore, owner: ReplicaOwner, ttl: Duration, logger: Logger) {
        self.state = state
        self.owner = owner
        self.ttl = ttl
        self.logger = logger
    }

    /// Runs `body` under the lease `name` (``LeaseContext/current`` is set for it). Returns nil
    /// without running it when another replica holds a live lease on `name`. Throws ``LeaseLost``
    /// when the lease was lost while `body` ran (`body` is cancelled first and awaited).
    public func withLease<T: Sendable>(_ name: LeaseName, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        let started = ContinuousClock.now
        guard let grant = try await state.acquireLease(name, owner: owner, ttl: ttl) else { return nil }
        let result: T
        do {
            result = try await withThrowingTaskGroup(of: Finished<T>.self) { group in
                group.addTask { Finished(value: try await LeaseContext.$current.withValue(grant) { try await body() }) }
                group.addTask { try await self.keep(grant, validUntil: started + self.ttl) }
                defer { group.cancelAll() }
                while let finished = try await group.next() {
                    if let value = finished.value { return value }
                }
                throw CancellationError()
            }
        } catch let lost as LeaseLost {
            throw lost
        } catch {
            await release(grant)
            throw error
        }
        await release(grant)
        return result
    }

    struct Finished<T: Sendable>: Sendable { var value: T? }

    /// Renews until cancelled; throws ``LeaseLost`` when the store says the lease is gone, or when
    /// renewals kept failing until less than a quarter of the TTL is certainly left.
    func keep<T>(_ grant: LeaseGrant, validUntil initial: ContinuousClock.Instant) async throws -> Finished<T> {
        let quarter = ttl / 4
        var validUntil = initial
        while true {
            try await Task.sleep(for: quarter)
            let attempt = ContinuousClock.now
            guard validUntil - attempt > quarter else {
                logger.warning("stopping the work under the lease: the state store has not confirmed it in time", metadata: [
                    "lease": "\(grant.name)", "unconfirmed_for": "\(attempt - (validUntil - ttl))"])
                throw LeaseLost(name: grant.name, reason: "the state store did not confirm it for \(attempt - (validUntil - ttl)); stopping before it lapses")
            }
            do {
                try await withDeadline(quarter, "the state store to renew the lease on \(grant.name)") {
                    try await self.state.renewLease(grant)
                }
                validUntil = attempt + ttl
            } catch let lost as LeaseLost {
                logger.warning("stopping the work under the lease: another replica holds it", metadata: ["lease": "\(grant.name)"])
                throw lost
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("could not renew a lease; retrying", metadata: [
                    "lease": "\(grant.name)", "error": "\(RotationEngine.safeDescription(error))"])
            }
        }
    }

    /// Gives the lease up so another replica need not wait for it to expire. Best effort, bounded:
    /// a lease not released simply expires.
    func release(_ grant: LeaseGrant) async {
        let state = self.state
        let released = await finishWithin(.seconds(2), "the state store to release the lease on \(grant.name)") {
            try? await state.releaseLease(grant)
        }
        if !released { logger.info("lease not released in time; it expires on its own", metadata: ["lease": "\(grant.name)"]) }
    }
}
