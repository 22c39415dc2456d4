import Foundation

/// What a person asks of an open request.
public enum DecisionVerb: String, Sendable, CaseIterable {
    case approve, deny, cancel

    /// The status the request moves to when the decision is allowed.
    public var outcome: RotationStatus {
        switch self {
        case .approve: .approved
        case .deny: .denied
        case .cancel: .cancelled
        }
    }

    public var auditAction: AuditAction {
        switch self {
        case .approve: .approved
        case .deny: .denied
        case .cancel: .cancelled
        }
    }
}

/// Everything the two-person rule looks at, gathered before it is applied.
public struct DecisionFacts: Sendable {
    public var verb: DecisionVerb
    /// The ID as the person typed or clicked it.
    public var rotationID: String
    /// The rotation, if there is one by that ID.
    public var record: RotationRecord?
    public var user: String
    /// Whether `user` is a member of the approver group now.
    public var userIsApprover: Bool
    public var approverGroup: String
    /// The digest of the plan the inventory gives for the secret now; nil when the secret is no
    /// longer in the inventory. Only approvals look at it.
    public var currentPlanDigest: String?
    public var now: Date

    public init(verb: DecisionVerb, rotationID: String, record: RotationRecord?, user: String, userIsApprover: Bool,
                approverGroup: String, currentPlanDigest: String?, now: Date) {
        self.verb = verb
        self.rotationID = rotationID
        self.record = record
        self.user = user
        self.userIsApprover = userIsApprover
        self.approverGroup = approverGroup
        self.currentPlanDigest = currentPlanDigest
        self.now = now
    }
}

/// What the rule says. A refusal's reason is written for the person who asked.
public enum DecisionVerdict: Sendable, Equatable {
    case allow
    case refuse(String)
    /// The request expired unanswered: record the expiry, then refuse with the reason.
    case expired(String)
}

/// The two-person rule of SPEC §3.2 as a pure function: no store, no clock, no chat. The engine
/// gathers ``DecisionFacts``, applies this, and only on ``DecisionVerdict/allow`` writes the
/// decision, in a transaction that checks the status again (a concurrent decision that got there
/// first turns this one into a refusal).
public enum DecisionPolicy {
    public static func evaluate(_ facts: DecisionFacts) -> DecisionVerdict {
        guard let record = facts.record else {
            return .refuse("There is no rotation \(facts.rotationID.prefix(20)). `/rotate status` lists the open ones.")
        }
        switch record.status {
        case .awaitingApproval:
            break
        case .approved, .running, .verifying, .rollingBack:
            let by = record.decidedBy.map { " (approved by \($0))" } ?? ""
            return .refuse("\(record.id) is already \(record.status.label)\(by); there is nothing to \(facts.verb.rawValue).")
        default:
            let by = record.decidedBy.map { " by \($0)" } ?? ""
            return .refuse("\(record.id) is \(record.status.label)\(by); there is nothing to \(facts.verb.rawValue).")
        }
        if record.isExpired(at: facts.now) {
            return .expired("\(record.id) expired at \(Timestamps.clock(record.expiresAt)) UTC without approval. Request it again with `/rotate \(record.secretID)`.")
        }
        let isRequester = PersonName.same(facts.user, record.requester)
        let group = facts.approverGroup
        switch facts.verb {
        case .approve:
            if isRequester { return .refuse("You requested \(record.id); a second person from #\(group) must approve it.") }
            if !facts.userIsApprover { return .refuse("Only members of #\(group) can approve rotations, and you are not one.") }
            guard let digest = facts.currentPlanDigest else {
                return .refuse("\(record.secretID) is no longer in the inventory (its Commands file is missing or broken); nothing was decided.")
            }
            if digest != record.planDigest {
                return .refuse("The plan for \(record.secretID) changed since \(record.id) was requested (its Commands file or settings changed). Request it again.")
            }
        case .deny:
            if isRequester { return .refuse("You requested \(record.id); to withdraw it, use `/rotate cancel \(record.id)`.") }
            if !facts.userIsApprover { return .refuse("Only members of #\(group) can deny rotations, and you are not one.") }
        case .cancel:
            if !isRequester && !facts.userIsApprover {
                return .refuse("Only the requester or a member of #\(group) can cancel \(record.id).")
            }
        }
        return .allow
    }
}
