import Foundation
import Metrics

/// What the engine reports to swift-metrics (exported by the bot at `/metrics`): rotations by
/// secret and outcome, and step durations by step kind and outcome. Uses the process's metrics
/// system, which is a no-op until the executable bootstraps one.
enum RotationMetrics {
    static let rotations = "aegis_rotations_total"
    static let stepDuration = "aegis_step_duration_seconds"

    /// Counts a rotation that reached a final state (completed, rolled back, failed, denied,
    /// cancelled, expired).
    static func ended(_ record: RotationRecord) {
        guard !record.status.isOpen else { return }
        Counter(label: rotations, dimensions: [("secret", record.secretID), ("outcome", record.status.rawValue)]).increment()
    }

    /// A step's duration from its row's start and end times (nothing when either is missing).
    static func step(_ planned: PlannedStep, outcome: String, startedAt: Date?, endedAt: Date?) {
        guard let startedAt, let endedAt else { return }
        Metrics.Timer(label: stepDuration, dimensions: [("step", planned.kind.rawValue), ("outcome", outcome)])
            .recordSeconds(max(0, endedAt.timeIntervalSince(startedAt)))
    }
}
