import AegisCore
import Foundation
import Logging

/// The durable timer action that sends one PagerDuty event (`pagerduty-event`). An acknowledge
/// or resolve waits while the rotation's trigger has not gone out yet, so PagerDuty never sees
/// them out of order (a resolve before its trigger would leave an incident open).
public struct PagerDutyEventAction: DeferredAction {
    public static let name = "pagerduty-event"

    let events: PagerDutyEvents
    let state: any StateStore
    let logger: Logger

    public var announcesInThread: Bool { false }

    public func perform(payload: [String: String]) async throws -> String {
        guard let event = PagerDutyEvent(payload: payload) else { return "not a PagerDuty event; nothing sent" }
        if event.action != .trigger, let rotation = payload["rotation_id"].flatMap(RotationID.init(parsing:)) {
            let unsent = try await state.timers(rotationID: rotation).filter {
                $0.payload[DeferredActionRegistry.payloadKey] == Self.name && $0.payload["event_action"] == PagerDutyEvent.Action.trigger.rawValue
                    && ($0.status == .pending || $0.status == .running)
            }
            if !unsent.isEmpty {
                throw RetryLater(after: .seconds(30), reason: "the trigger for \(event.dedupKey) has not been sent yet")
            }
        }
        switch try await events.send(event) {
        case .accepted(let dedupKey):
            return "PagerDuty \(event.action.rawValue) accepted (dedup key \(dedupKey))"
        case .refused(let reason):
            logger.error("PagerDuty refused an event; it will not be sent again",
                         metadata: ["dedup_key": "\(event.dedupKey)", "event_action": "\(event.action.rawValue)", "reason": "\(reason)"])
            return "PagerDuty refused the \(event.action.rawValue) for \(event.dedupKey): \(reason)"
        }
    }
}
