import AegisCore
import AsyncHTTPClient
import Foundation
import Metrics
import Logging
import NIOCore
import NIOHTTP1

/// Calls Slack Web API methods at `SLACK_API_URL` (every method, `apps.connections.open` too).
/// Write methods send JSON; read methods send form fields, as Slack documents. A 429 blocks that
/// method for `Retry-After` seconds and the call is retried; `ok: false` becomes a typed
/// ``SlackAPIError`` naming the method and Slack's code.
public struct SlackWebClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    let token: SecretValue
    let gate: RateLimitGate
    let logger: Logger
    let timeout: TimeAmount
    let maxRateLimitRetries: Int
    /// Set for callers that pace themselves (the Slack outbox): a 429 is thrown at once with its
    /// `Retry-After`, and the method-wide gate is neither waited on nor closed, so one channel's
    /// limit does not hold another channel's messages.
    let reportsRateLimits: Bool
    public let stats: SlackAPIStats

    public init(http: HTTPClient, baseURL: String, token: SecretValue, logger: Logger,
                timeout: Duration = .seconds(15), maxRateLimitRetries: Int = 8, stats: SlackAPIStats = SlackAPIStats()) {
        self.init(http: http, baseURL: baseURL, token: token, gate: RateLimitGate(), logger: logger, timeout: timeout,
                  maxRateLimitRetries: maxRateLimitRetries, reportsRateLimits: false, stats: stats)
    }

    init(http: HTTPClient, baseURL: String, token: SecretValue, gate: RateLimitGate, logger: Logger, timeout: Duration,
         maxRateLimitRetries: Int, reportsRateLimits: Bool, stats: SlackAPIStats) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        self.token = token
        self.gate = gate
        self.logger = logger
        self.timeout = .milliseconds(timeout.milliseconds)
        self.maxRateLimitRetries = maxRateLimitRetries
        self.reportsRateLimits = reportsRateLimits
        self.stats = stats
    }

    /// The same client with another token (the app-level token for `apps.connections.open`).
    public func with(token: SecretValue) -> SlackWebClient {
        SlackWebClient(http: http, baseURL: baseURL, token: token, logger: logger, timeout: .milliseconds(timeout.nanoseconds / 1_000_000),
                       maxRateLimitRetries: maxRateLimitRetries, stats: stats)
    }

    /// The same client for a caller that paces itself: a 429 is thrown at once as
    /// ``SlackAPIError/Kind/rateLimited`` with `retryAfter` set.
    public func reportingRateLimits() -> SlackWebClient {
        SlackWebClient(http: http, baseURL: baseURL, token: token, gate: gate, logger: logger,
                       timeout: .milliseconds(timeout.nanoseconds / 1_000_000), maxRateLimitRetries: 0, reportsRateLimits: true,
                       stats: stats)
    }

    public enum Body: Sendable {
        case json(JSONValue)
        case form([String: String])
    }

    /// Calls `method` and returns Slack's JSON answer once `ok` is true.
    public func call(_ method: String, _ body: Body) async throws -> JSONValue {
        var rateLimited = 0
        while true {
            if !reportsRateLimits { try await gate.waitIfBlocked(method) }
            var request = HTTPClientRequest(url: baseURL + method)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token.revealSecretString())")
            switch body {
            case .json(let json):
                request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
                request.body = .bytes(ByteBuffer(bytes: json.encoded()))
            case .form(let fields):
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: Self.formEncode(fields)))
            }
            let response: HTTPClientResponse
            let bytes: ByteBuffer
            do {
                response = try await http.execute(request, timeout: timeout)
                bytes = try await response.body.collect(upTo: 8 << 20)
            } catch {
                await stats.record(method: method, rateLimited: false, failed: true)
                throw SlackAPIError(method: method, kind: .transport(String(describing: type(of: error))))
            }
            if response.status == .tooManyRequests {
                rateLimited += 1
                await stats.record(method: method, rateLimited: true, failed: false)
                let retryAfter = Double(response.headers.first(name: "Retry-After") ?? "1") ?? 1
                guard rateLimited <= maxRateLimitRetries else {
                    throw SlackAPIError(method: method, kind: .rateLimited, retryAfter: retryAfter)
                }
                logger.warning("Slack rate limit", metadata: ["slack.method": "\(method)", "retry_after_s": "\(retryAfter)"])
                await gate.block(method, for: retryAfter)
                continue
            }
            guard response.status == .ok else {
                await stats.record(method: method, rateLimited: false, failed: true)
                throw SlackAPIError(method: method, kind: .http(status: Int(response.status.code)))
            }
            guard let json = try? JSONValue.parse(Data(bytes.readableBytesView)) else {
                await stats.record(method: method, rateLimited: false, failed: true)
                throw SlackAPIError(method: method, kind: .malformedResponse)
            }
            guard json["ok"]?.bool == true else {
                await stats.record(method: method, rateLimited: false, failed: true)
                throw SlackAPIError(method: method, kind: .slack(code: json["error"]?.string ?? "unknown_error"))
            }
            await stats.record(method: method, rateLimited: false, failed: false)
            return json
        }
    }

    static func formEncode(_ fields: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}

/// Counts of Web API calls by method, 429s and failures (for `/metrics` and the benchmark).
public actor SlackAPIStats {
    public private(set) var calls: [String: Int] = [:]
    public private(set) var rateLimited: [String: Int] = [:]
    public private(set) var failures: [String: Int] = [:]

    public init() {}

    func record(method: String, rateLimited limited: Bool, failed: Bool) {
        let outcome = limited ? "rate_limited" : (failed ? "failed" : "ok")
        Counter(label: "aegis_slack_api_calls_total", dimensions: [("method", method), ("outcome", outcome)]).increment()
        calls[method, default: 0] += 1
        if limited { rateLimited[method, default: 0] += 1 }
        if failed { failures[method, default: 0] += 1 }
    }
}
