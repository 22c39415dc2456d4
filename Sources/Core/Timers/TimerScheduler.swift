import Foundation
import Logging
import ServiceLifecycle

/// Fires due timers through the engine. Timers live in the state store, so one due while the bot
/// was down fires right after it starts.
///
/// Between rounds the scheduler sleeps until the earliest pending timer is due, or until this
/// process schedules a new one (``StateStore/timerChanges``), or until graceful shutdown, instead
/// of polling. `longestSleep` (`AEGIS_TIMER_POLL`) bounds a sleep anyway, so a timer another
/// process wrote, or a wall-clock jump, is seen within it.
public struct TimerScheduler: Service {
    let state: any StateStore
    let engine: RotationEngine
    let longestSleep: Duration
    let shutdownGrace: Duration
    let logger: Logger

    public init(state: any StateStore, engine: RotationEngine, pollInterval: Duration, shutdownGrace: Duration = .seconds(4),
                logger: Logger) {
        self.state = state
        self.engine = engine
        self.longestSleep = pollInterval
        self.shutdownGrace = shutdownGrace
        self.logger = logger
    }

    /// Runs until graceful shutdown. The sleep between rounds ends at once on shutdown; a timer
    /// that is firing gets the shutdown grace and is then cancelled (it stays claimed and is
    /// released for the next start by ``StateStore/releaseOrphanedClaims()``).
    public func run() async throws {
        try await engine.scheduleDueCheckIfNeeded()
        await ShutdownGrace.run(grace: shutdownGrace) {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await self.fireDueTimers()
                let wakeAt = await self.nextWake()
                await cancelWhenGracefulShutdown { await self.state.timerChanges.wait(until: wakeAt) }
            }
        }
    }

    /// The earliest pending timer's due time, at most `longestSleep` from now and at least 50 ms
    /// (a due timer that could not be fired, e.g. while the store is down, is not retried in a
    /// tight loop).
    func nextWake() async -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        let latest = now + longestSleep
        guard let due = try? await state.nextTimerDue() else { return latest }
        let seconds = max(0.05, due.timeIntervalSinceNow)
        return min(latest, now + .milliseconds(Int64(seconds * 1_000)))
    }

    /// Fires every timer due now. A failing timer is retried a minute later.
    public func fireDueTimers() async {
        let due: [TimerRecord]
        do { due = try await state.dueTimers(now: engine.clock.now()) } catch {
            logger.error("cannot read timers", metadata: ["error": "\(error)"])
            return
        }
        for timer in due {
            do {
                // Under the timer's lease, so exactly one replica fires it.
                let fired = try await engine.leases.withLease(.timer(timer.id)) { [state, engine] () -> String? in
                    guard try await state.claimTimer(id: timer.id, now: engine.clock.now()) else { return nil }
                    let note = try await engine.fire(timer)
                    try await state.finishTimer(id: timer.id, status: .done, note: note)
                    return note
                }
                guard let note = fired ?? nil else { continue }
                logger.info("timer fired", metadata: ["timer.id": "\(timer.id)", "rotation.id": "\(timer.rotationID ?? "-")", "note": "\(note)"])
            } catch let lost as LeaseLost {
                logger.warning("stopped firing a timer: its lease is gone; the replica holding it now fires it",
                               metadata: ["timer.id": "\(timer.id)", "reason": "\(lost.reason)"])
            } catch where Task.isCancelled {
                logger.notice("timer interrupted by shutdown; it fires again at the next start", metadata: ["timer.id": "\(timer.id)"])
                return
            } catch {
                let delay = (error as? RetryLater)?.after ?? .seconds(60)
                let note = "failed: \(RotationEngine.safeDescription(error)); retrying in \(delay.components.seconds)s"
                logger.error("timer failed", metadata: ["timer.id": "\(timer.id)", "error": "\(note)"])
                // Under the timer's lease again: only if no other replica took it meanwhile.
                _ = try? await engine.leases.withLease(.timer(timer.id)) { [state] in
                    try await state.rescheduleTimer(id: timer.id, dueAt: engine.clock.now().addingTimeInterval(delay.timeInterval), note: note)
                }
            }
        }
    }
}
