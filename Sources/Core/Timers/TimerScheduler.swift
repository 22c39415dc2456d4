import Foundation
import Logging
import ServiceLifecycle

/// Polls the state store for due timers and fires them through the engine. Timers live in the
/// state store, so one due while the bot was down fires right after it starts.
public struct TimerScheduler: Service {
    let state: any StateStore
    let engine: RotationEngine
    let pollInterval: Duration
    let shutdownGrace: Duration
    let logger: Logger

    public init(state: any StateStore, engine: RotationEngine, pollInterval: Duration, shutdownGrace: Duration = .seconds(4),
                logger: Logger) {
        self.state = state
        self.engine = engine
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.logger = logger
    }

    /// Polls until graceful shutdown. The wait between polls ends at once on shutdown; a timer
    /// that is firing gets the shutdown grace and is then cancelled (it stays claimed and is
    /// released for the next start by ``StateStore/releaseOrphanedClaims()``).
    public func run() async throws {
        try await engine.scheduleDueCheckIfNeeded()
        let pollInterval = self.pollInterval
        await ShutdownGrace.run(grace: shutdownGrace) {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await self.fireDueTimers()
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
            }
        }
    }

    /// Fires every timer due now. A failing timer is retried a minute later.
    public func fireDueTimers() async {
        let due: [TimerRecord]
        do { due = try await state.dueTimers(now: Date()) } catch {
            logger.error("cannot read timers", metadata: ["error": "\(error)"])
            return
        }
        for timer in due {
            do {
                guard try await state.claimTimer(id: timer.id, now: Date()) else { continue }
                let note = try await engine.fire(timer)
                try await state.finishTimer(id: timer.id, status: .done, note: note)
                logger.info("timer fired", metadata: ["timer.id": "\(timer.id)", "rotation.id": "\(timer.rotationID ?? "-")", "note": "\(note)"])
            } catch where Task.isCancelled {
                logger.notice("timer interrupted by shutdown; it fires again at the next start", metadata: ["timer.id": "\(timer.id)"])
                return
            } catch {
                let note = "failed: \(RotationEngine.safeDescription(error)); retrying in 60s"
                logger.error("timer failed", metadata: ["timer.id": "\(timer.id)", "error": "\(note)"])
                try? await state.rescheduleTimer(id: timer.id, dueAt: Date().addingTimeInterval(60), note: note)
            }
        }
    }
}
