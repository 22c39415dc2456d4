import Foundation
import NIOHTTP1

/// `pagerduty_fake.py` (Events API v2 over TLS) with one routing key registered: where a test's
/// bot pages on-call, and what the test reads the incidents from.
public struct PagerDutyFake: Sendable {
    public let server: TLSPythonFake
    public let routingKey: String

    public var url: String { server.url }
    public var caBundle: String { server.caBundle }
    public var log: String { server.log }

    public static func start() async throws -> PagerDutyFake {
        let server = try await TLSPythonFake.start("pagerduty")
        do {
            let key = try await server.control(.POST, "/_fake/routing-keys", [:]) as? [String: Any]
            guard let routingKey = key?["routing_key"] as? String else { throw ServerError("the PagerDuty fake made no routing key") }
            return PagerDutyFake(server: server, routingKey: routingKey)
        } catch {
            await server.stop()
            throw error
        }
    }

    public func stop() async { await server.stop() }

    /// The settings that make the bot page this fake.
    public var environment: [String: String] {
        ["PAGERDUTY_ROUTING_KEY": routingKey, "PAGERDUTY_EVENTS_URL": url, "PAGERDUTY_CA_BUNDLE": caBundle]
    }

    /// One incident as the fake keeps it.
    public struct Incident: Sendable {
        public var dedupKey: String
        public var status: String
        public var summary: String
        public var severity: String
        public var alerts: Int
        public var details: [String: String]
        public var actions: [String]
    }

    public func incidents() async throws -> [Incident] {
        let list = try await server.control(.GET, "/_fake/incidents") as? [[String: Any]] ?? []
        return list.map { object in
            Incident(dedupKey: object["dedup_key"] as? String ?? "", status: object["status"] as? String ?? "",
                     summary: object["summary"] as? String ?? "", severity: object["severity"] as? String ?? "",
                     alerts: object["alerts"] as? Int ?? 0,
                     details: (object["custom_details"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String },
                     actions: object["actions"] as? [String] ?? [])
        }
    }

    /// Every event the fake accepted, as sent (for leak scans).
    public func eventsText() async throws -> String {
        let events = try await server.control(.GET, "/_fake/events")
        return String(decoding: try JSONSerialization.data(withJSONObject: events), as: UTF8.self)
    }

    public func fail(status: Int, count: Int = 1, retryAfter: Int? = nil) async throws {
        var body: [String: Any] = ["method": "POST", "path_prefix": "/v2/enqueue", "status": status, "count": count]
        if let retryAfter { body["retry_after"] = retryAfter }
        try await server.control(.POST, "/_fake/fail", body)
    }
}
