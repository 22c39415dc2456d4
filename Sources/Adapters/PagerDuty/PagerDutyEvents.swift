import AegisCore
import AegisProviderHTTP
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// PagerDuty's Events API v2 (`POST /v2/enqueue`). The integration's routing key travels in the
/// body (there is no auth header) and is never logged or put in an error.
public struct PagerDutyEvents: Sendable {
    public static let defaultBase = URL(string: "https://events.pagerduty.com")!
    /// PagerDuty asks integrations to back off for minutes when it throttles them.
    static let throttledBackoff: Duration = .seconds(120)

    public let base: URL
    let routingKey: SecretValue
    let http: HTTPClient
    let timeout: Duration

    public init(base: URL, routingKey: SecretValue, http: HTTPClient, timeout: Duration) {
        self.base = base
        self.routingKey = routingKey
        self.http = http
        self.timeout = timeout
    }

    /// What PagerDuty made of one event.
    public enum Outcome: Sendable, Equatable {
        /// 202: accepted, with the dedup key PagerDuty filed it under.
        case accepted(dedupKey: String)
        /// 400: PagerDuty will never take this event; retrying cannot help.
        case refused(String)
    }

    /// Sends one event. Throws ``RetryLater`` when PagerDuty throttles (429) and
    /// ``PagerDutyError`` when it fails or does not answer (5xx, unreachable): both are retried.
    public func send(_ event: PagerDutyEvent) async throws -> Outcome {
        let operation = "\(event.action.rawValue) \(event.dedupKey)"
        let answer: (status: Int, headers: HTTPHeaders, body: Data)
        do {
            // A 429 is not waited out here: the durable timer comes back after minutes instead.
            answer = try await ProviderHTTP(base: base, http: http, timeout: timeout)
                .execute(.POST, "/v2/enqueue", headers: HTTPHeaders(), body: event.body(routingKey: routingKey), rateLimitWait: { _ in nil })
        } catch {
            throw PagerDutyError(operation: operation, status: 0, message: "PagerDuty did not answer (\(type(of: error)))")
        }
        let object = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any]
        switch answer.status {
        case 200..<300:
            return .accepted(dedupKey: object?["dedup_key"] as? String ?? event.dedupKey)
        case 429:
            let wait = answer.headers.first(name: "retry-after").flatMap(Int64.init).map { Duration.seconds(max($0, 60)) } ?? Self.throttledBackoff
            throw RetryLater(after: wait, reason: "PagerDuty throttled \(operation) (HTTP 429); trying again in \(wait.components.seconds)s")
        case 400..<500:
            let errors = (object?["errors"] as? [String] ?? []).prefix(5).joined(separator: "; ")
            let message = object?["message"] as? String ?? "refused"
            return .refused("HTTP \(answer.status): \(message.prefix(200))\(errors.isEmpty ? "" : " (\(errors.prefix(400)))")")
        default:
            throw PagerDutyError(operation: operation, status: answer.status, message: String((object?["message"] as? String ?? "server error").prefix(200)))
        }
    }
}

/// A PagerDuty call that failed in a way worth retrying (5xx, no answer).
public struct PagerDutyError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var status: Int
    public var message: String

    public var description: String {
        status > 0 ? "pagerduty \(operation): HTTP \(status): \(message)" : "pagerduty \(operation): \(message)"
    }
}
