import AegisCore
import Foundation

/// One Events API v2 event as the bot sends it. Built from a rotation's escalation: names, IDs
/// and the engine's safe failure text, never a value. It travels through a durable timer's
/// payload (``payload``), so it is plain strings only.
public struct PagerDutyEvent: Sendable, Hashable {
    public enum Action: String, Sendable, CaseIterable {
        case trigger, acknowledge, resolve
    }

    public enum Severity: String, Sendable {
        case critical, error, warning, info
    }

    public var action: Action
    /// One per rotation (``dedupKey(secretID:rotationID:)``): retries and replicas never open a
    /// second incident, and an acknowledge or resolve finds the first.
    public var dedupKey: String
    public var summary: String
    public var severity: Severity
    public var component: String
    public var eventClass: String
    public var details: [String: String]

    /// Events API v2's limits: summary 1,024 characters, dedup key 255.
    static let maxSummary = 1_024
    static let maxDedupKey = 255
    static let maxDetail = 2_000
    static let source = "aegis-rotate"
    static let detailPrefix = "detail."

    public static func dedupKey(secretID: String, rotationID: RotationID) -> String {
        String("aegis-rotate/\(secretID)/\(rotationID)".prefix(maxDedupKey))
    }

    public init(action: Action, dedupKey: String, summary: String, severity: Severity = .error,
                component: String, eventClass: String, details: [String: String] = [:]) {
        self.action = action
        self.dedupKey = String(dedupKey.prefix(Self.maxDedupKey))
        self.summary = String(summary.prefix(Self.maxSummary))
        self.severity = severity
        self.component = component
        self.eventClass = eventClass
        self.details = details.mapValues { String($0.prefix(Self.maxDetail)) }
    }

    /// The request body, with the routing key (which only this call ever holds).
    func body(routingKey: SecretValue) -> Data {
        var event: [String: Any] = [
            "routing_key": routingKey.revealSecretString(),
            "event_action": action.rawValue,
            "dedup_key": dedupKey,
        ]
        if action == .trigger {
            event["client"] = "Aegis Rotate"
            event["payload"] = [
                "summary": summary, "source": Self.source, "severity": severity.rawValue,
                "component": component, "group": "secrets-rotation", "class": eventClass,
                "custom_details": details,
            ] as [String: Any]
        }
        return (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
    }

    /// As a timer's payload.
    var payload: [String: String] {
        var payload = [
            "event_action": action.rawValue, "dedup_key": dedupKey, "summary": summary,
            "severity": severity.rawValue, "component": component, "class": eventClass,
        ]
        for (key, value) in details { payload[Self.detailPrefix + key] = value }
        return payload
    }

    init?(payload: [String: String]) {
        guard let action = payload["event_action"].flatMap(Action.init(rawValue:)), let dedupKey = payload["dedup_key"], !dedupKey.isEmpty else {
            return nil
        }
        var details: [String: String] = [:]
        for (key, value) in payload where key.hasPrefix(Self.detailPrefix) { details[String(key.dropFirst(Self.detailPrefix.count))] = value }
        self.init(action: action, dedupKey: dedupKey, summary: payload["summary"] ?? "", severity: payload["severity"].flatMap(Severity.init(rawValue:)) ?? .error,
                  component: payload["component"] ?? "", eventClass: payload["class"] ?? "", details: details)
    }
}
