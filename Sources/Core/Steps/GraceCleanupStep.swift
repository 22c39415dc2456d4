import Foundation

/// `grace-cleanup`: schedules the removal of the old key after the grace period on a durable timer
/// (so it fires after a restart). A leak response has no grace: the removal runs at once.
public struct GraceCleanupStep: StepExecutor {
    let scheduleTimer: @Sendable (TimerRecord) async throws -> Void
    let cancelTimer: @Sendable (String) async throws -> Void

    public init(scheduleTimer: @escaping @Sendable (TimerRecord) async throws -> Void,
                cancelTimer: @escaping @Sendable (String) async throws -> Void) {
        self.scheduleTimer = scheduleTimer
        self.cancelTimer = cancelTimer
    }

    public static func timerID(rotationID: RotationID, step: String) -> String { "grace-\(rotationID)-\(step)" }

    public func run(_ context: StepContext) async throws -> String {
        let keys = context.step.definition.list("remove")
        let grace = context.rotation.plan.grace ?? .zero
        if grace == .zero {
            return try await context.cleanupNow(keys)
        }
        let oldVersion = try context.requireFact(FactKey.oldVersion)
        let due = Date().addingTimeInterval(grace.timeInterval)
        var timer = TimerRecord(id: Self.timerID(rotationID: context.rotation.id, step: context.step.name),
                                kind: .graceCleanup, rotationID: context.rotation.id, dueAt: due,
                                payload: ["remove": keys.joined(separator: ","), "expected_version": oldVersion])
        timer.note = "grace \(DurationText.format(grace))"
        try await scheduleTimer(timer)
        return "old key stays valid for \(DurationText.format(grace)); removal of \(keys.joined(separator: ", ")) scheduled for \(Timestamps.iso8601(due))"
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let id = Self.timerID(rotationID: context.rotation.id, step: context.step.name)
        try await cancelTimer(id)
        return "cancelled scheduled removal \(id)"
    }
}
