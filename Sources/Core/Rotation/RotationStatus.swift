import Foundation
/// Where a rotation is in its life. The record starts `awaitingApproval` (the audit log holds the
/// `requested` event); `completed`, `rolledBack`, `failed`, `denied`, `cancelled` and `expired` are final.
public enum RotationStatus: String, Sendable, Codable, CaseIterable {
    case awaitingApproval = "awaiting-approval"
    case approved
    case running
    case verifying
    case completed
    case rollingBack = "rolling-back"
    case rolledBack = "rolled-back"
    /// The rollback itself failed: a human must look (escalated).
    case failed
    case denied
    case cancelled
    case expired

    /// Open rotations block a second request for the same secret.
    public var isOpen: Bool {
        switch self {
        case .awaitingApproval, .approved, .running, .verifying, .rollingBack: true
        default: false
        }
    }

    /// Rotations with work the bot must finish after a restart.
    public var needsDriving: Bool {
        switch self {
        case .approved, .running, .verifying, .rollingBack: true
        default: false
        }
    }

    public var label: String {
        switch self {
        case .awaitingApproval: "awaiting approval"
        case .approved: "approved"
        case .running: "running"
        case .verifying: "verifying"
        case .completed: "completed"
        case .rollingBack: "rolling back"
        case .rolledBack: "rolled back"
        case .failed: "FAILED (needs a human)"
        case .denied: "denied"
        case .cancelled: "cancelled"
        case .expired: "expired"
        }
    }
}

/// Where one step is.
public enum StepStatus: String, Sendable, Codable {
    case pending
    case running
    case done
    case failed
    case rolledBack = "rolled-back"
    case rollbackFailed = "rollback-failed"

    public var symbol: String {
        switch self {
        case .pending: "○"
        case .running: "▶"
        case .done: "✓"
        case .failed: "✗"
        case .rolledBack: "↺"
        case .rollbackFailed: "‼"
        }
    }
}
