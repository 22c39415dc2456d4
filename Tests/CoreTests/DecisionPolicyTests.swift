@testable import AegisCore
import Foundation
import Testing

/// The two-person rule on its own: no store, no engine, no clock but the one in the facts.
@Suite("decision policy: the two-person rule as a pure function")
struct DecisionPolicyTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(status: RotationStatus = .awaitingApproval, requester: String = "alice", digest: String = "d1",
                       expiresIn: TimeInterval = 600, decidedBy: String? = nil) -> RotationRecord {
        let plan = RotationPlan(secretID: "jwt-signing-key", strategy: "single-rollout", environment: "local", steps: [], checks: [],
                                grace: nil, leaked: false, storage: nil, deploy: nil)
        var record = RotationRecord(id: "R-1", number: 1, secretID: "jwt-signing-key", requester: requester, reason: "", leaked: false,
                                    status: status, plan: plan, planDigest: digest, requestedAt: now.addingTimeInterval(-60),
                                    expiresAt: now.addingTimeInterval(expiresIn), origin: ChatOrigin(channel: "C1"), facts: [:],
                                    definition: nil)
        record.decidedBy = decidedBy
        return record
    }

    static func facts(_ verb: DecisionVerb, _ record: RotationRecord?, user: String = "carol", approver: Bool = true,
                      digest: String? = "d1") -> DecisionFacts {
        DecisionFacts(verb: verb, rotationID: "R-1", record: record, user: user, userIsApprover: approver,
                      approverGroup: "security-ops", currentPlanDigest: digest, now: now)
    }

    static func reason(_ verdict: DecisionVerdict) -> String? {
        switch verdict {
        case .allow: nil
        case .refuse(let reason), .expired(let reason): reason
        }
    }

    @Test("an approver who is not the requester approves, denies and cancels")
    func approverIsAllowed() {
        for verb in DecisionVerb.allCases {
            #expect(DecisionPolicy.evaluate(Self.facts(verb, Self.record())) == .allow, "\(verb)")
        }
    }

    @Test("nobody approves their own request, even an approver, and whatever the case of the name")
    func noSelfApproval() {
        let verdict = DecisionPolicy.evaluate(Self.facts(.approve, Self.record(requester: "Carol"), user: "carol"))
        #expect(Self.reason(verdict)?.contains("You requested R-1") == true, "\(verdict)")
        let deny = DecisionPolicy.evaluate(Self.facts(.deny, Self.record(requester: "carol"), user: "carol"))
        #expect(Self.reason(deny)?.contains("/rotate cancel R-1") == true, "\(deny)")
    }

    @Test("the requester may cancel; someone else who is not an approver may not")
    func cancelRules() {
        #expect(DecisionPolicy.evaluate(Self.facts(.cancel, Self.record(), user: "alice", approver: false)) == .allow)
        let outsider = DecisionPolicy.evaluate(Self.facts(.cancel, Self.record(), user: "bob", approver: false))
        #expect(Self.reason(outsider)?.contains("Only the requester or a member of #security-ops") == true, "\(outsider)")
    }

    @Test("non-members cannot approve or deny")
    func membersOnly() {
        for verb in [DecisionVerb.approve, .deny] {
            let verdict = DecisionPolicy.evaluate(Self.facts(verb, Self.record(), user: "bob", approver: false))
            #expect(Self.reason(verdict)?.contains("Only members of #security-ops") == true, "\(verb): \(verdict)")
        }
    }

    @Test("an approval binds the plan: a changed or vanished plan is refused")
    func planBinding() {
        let changed = DecisionPolicy.evaluate(Self.facts(.approve, Self.record(digest: "d1"), digest: "d2"))
        #expect(Self.reason(changed)?.contains("plan for jwt-signing-key changed") == true, "\(changed)")
        let gone = DecisionPolicy.evaluate(Self.facts(.approve, Self.record(), digest: nil))
        #expect(Self.reason(gone)?.contains("no longer in the inventory") == true, "\(gone)")
        // A denial or cancellation does not run anything, so the plan does not matter to it.
        #expect(DecisionPolicy.evaluate(Self.facts(.deny, Self.record(digest: "d1"), digest: "d2")) == .allow)
    }

    @Test("an expired request is expired, not decided, at exactly its expiry time")
    func expiry() {
        let atExpiry = DecisionPolicy.evaluate(Self.facts(.approve, Self.record(expiresIn: 0)))
        guard case .expired(let reason) = atExpiry else { Issue.record("not expired: \(atExpiry)"); return }
        #expect(reason.contains("expired at"))
        #expect(DecisionPolicy.evaluate(Self.facts(.approve, Self.record(expiresIn: 1))) == .allow)
    }

    @Test("a decided or finished request, or none, is refused with what it is")
    func notOpen() {
        let running = DecisionPolicy.evaluate(Self.facts(.approve, Self.record(status: .running, decidedBy: "dave")))
        #expect(Self.reason(running) == "R-1 is already running (approved by dave); there is nothing to approve.", "\(running)")
        let denied = DecisionPolicy.evaluate(Self.facts(.cancel, Self.record(status: .denied, decidedBy: "dave")))
        #expect(Self.reason(denied)?.hasPrefix("R-1 is denied by dave") == true, "\(denied)")
        let missing = DecisionPolicy.evaluate(Self.facts(.approve, nil))
        #expect(Self.reason(missing)?.contains("There is no rotation R-1") == true, "\(missing)")
    }
}
