import AegisCore
import Foundation
import Logging

/// Turns the engine's escalations into PagerDuty events. It sends nothing itself: each event is
/// written first as a durable timer (``PagerDutyEventAction``), so a page survives a crash or a
/// PagerDuty outage, and one fixed timer ID per rotation and event makes a retry, a second replica
/// or a repeated escalation schedule it once.
///
/// - a rollback, a failed rollback, a refused rotation, a failed grace clean-up → `trigger`;
/// - a leak response, once approved (the moment its incident notice goes out) → `trigger`, critical;
/// - the state store failing while a rotation needs driving → `trigger` (best effort: the timer
///   lives in that store);
/// - `/rotate ack` → `acknowledge`; `/rotate resolve`, or a later successful rotation of the
///   secret → `resolve`.
public struct PagerDutyPager: RotationEventSink {
    let state: any StateStore
    let clock: any WallClock
    let logger: Logger

    public init(state: any StateStore, clock: any WallClock, logger: Logger) {
        self.state = state
        self.clock = clock
        self.logger = logger
    }

    /// The timer to schedule for an event: its ID, rotation and PagerDuty event.
    struct Page: Sendable, Equatable {
        var timerID: String
        var rotationID: RotationID
        var event: PagerDutyEvent
    }

    public func publish(_ event: RotationEvent) async {
        guard let page = Self.page(for: event) else { return }
        var payload = page.event.payload
        payload["rotation_id"] = page.rotationID.rawValue
        do {
            try await state.scheduleTimer(DeferredActionRegistry.timer(id: page.timerID, action: PagerDutyEventAction.name,
                                                                       rotationID: page.rotationID, dueAt: clock.now(), payload: payload))
        } catch {
            logger.error("could not schedule a PagerDuty event; on-call was not paged",
                         metadata: ["rotation.id": "\(page.rotationID)", "event_action": "\(page.event.action.rawValue)",
                                    "error": "\(RotationEngine.safeDescription(error))"])
        }
    }

    static func page(for event: RotationEvent) -> Page? {
        switch event {
        case .finished(let snapshot, let escalation?):
            let severity: PagerDutyEvent.Severity = snapshot.record.status == .failed ? .critical : .error
            return trigger(snapshot, escalation, suffix: "finished", severity: severity)
        case .graceCleanup(let snapshot, _, let escalation?):
            return trigger(snapshot, escalation, suffix: "cleanup", severity: .error)
        case .incident(let snapshot):
            let record = snapshot.record
            let escalation = Escalation(rotationID: record.id, secretID: record.secretID,
                                        whatFailed: "\(record.secretID) was reported leaked by \(record.requester)",
                                        whatWasRestored: ["nothing yet: the rotation runs with no grace period (Runbook 02, leak response)"],
                                        action: snapshot.definition.escalation)
            return trigger(snapshot, escalation, suffix: "leak", severity: .critical, summary: "Leaked credential: \(record.secretID) (\(record.id)); rotating with no grace period")
        case .stalled(let rotationID, let attempts, let problem):
            let event = PagerDutyEvent(action: .trigger, dedupKey: "aegis-rotate/stalled/\(rotationID)",
                                       summary: "Aegis Rotate: \(rotationID) is stalled, the state store failed \(attempts) times (\(problem))",
                                       severity: .critical, component: "state-store", eventClass: "rotation-stalled",
                                       details: ["rotation_id": rotationID.rawValue, "problem": problem])
            return Page(timerID: "pagerduty-trigger-\(rotationID)-stalled", rotationID: rotationID, event: event)
        case .escalationHandled(let snapshot, let handling):
            let record = snapshot.record
            let action: PagerDutyEvent.Action = handling.response == .resolved ? .resolve : .acknowledge
            let event = PagerDutyEvent(action: action, dedupKey: PagerDutyEvent.dedupKey(secretID: record.secretID, rotationID: record.id),
                                       summary: "", component: record.secretID, eventClass: "rotation-escalation")
            return Page(timerID: "pagerduty-\(action.rawValue)-\(record.id)", rotationID: record.id, event: event)
        default:
            return nil
        }
    }

    static func trigger(_ snapshot: RotationSnapshot, _ escalation: Escalation, suffix: String,
                        severity: PagerDutyEvent.Severity, summary: String? = nil) -> Page {
        let record = snapshot.record
        let text = summary ?? "Aegis Rotate: \(record.secretID) rotation \(record.id) \(record.status.label): \(escalation.whatFailed)"
        let event = PagerDutyEvent(
            action: .trigger, dedupKey: PagerDutyEvent.dedupKey(secretID: record.secretID, rotationID: record.id),
            summary: text, severity: severity, component: record.secretID, eventClass: "rotation-\(suffix)",
            details: [
                "secret_id": record.secretID, "rotation_id": record.id.rawValue, "status": record.status.rawValue,
                "what_failed": escalation.whatFailed, "what_was_restored": escalation.whatWasRestored.joined(separator: "; "),
                "runbook_action": escalation.action, "thread": "#\(record.origin.channel)",
            ])
        return Page(timerID: "pagerduty-trigger-\(record.id)-\(suffix)", rotationID: record.id, event: event)
    }
}
