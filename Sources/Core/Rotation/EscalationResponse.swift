import Foundation

/// What a person (or a later successful rotation) said about an escalation: someone is on it
/// (`acknowledged`), or it is over (`resolved`). Kept on the rotation's record, audited, and
/// published so front ends and the on-call pager follow it.
public enum EscalationResponse: String, Sendable, Codable, CaseIterable {
    case acknowledged
    case resolved

    var auditAction: AuditAction {
        switch self {
        case .acknowledged: .escalationAcknowledged
        case .resolved: .escalationResolved
        }
    }
}

/// The latest response to a rotation's escalation.
public struct EscalationHandling: Sendable, Codable, Hashable {
    public var response: EscalationResponse
    /// The person, or `aegis-rotate` when a later rotation of the secret succeeded.
    public var by: String
    public var at: Date
    /// The rotation whose success resolved this one, when it was not a person.
    public var resolvedByRotation: RotationID?

    public init(response: EscalationResponse, by: String, at: Date, resolvedByRotation: RotationID? = nil) {
        self.response = response
        self.by = by
        self.at = at
        self.resolvedByRotation = resolvedByRotation
    }
}

extension RotationRecord {
    /// Whether this rotation escalated to a human: it rolled back, failed or was refused, or it
    /// answered a leak (whose incident a person closes, whatever the rotation's outcome).
    public var escalated: Bool {
        switch status {
        case .rolledBack, .failed: true
        // A leak's incident notice goes out once a second person approved it.
        case .approved, .running, .verifying, .rollingBack, .completed: leaked
        case .awaitingApproval, .denied, .cancelled, .expired: false
        }
    }

    /// Escalated, and nobody resolved it yet.
    public var escalationOpen: Bool { escalated && escalationHandling?.response != .resolved }
}
