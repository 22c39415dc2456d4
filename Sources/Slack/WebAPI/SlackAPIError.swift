/// A Web API failure: the method and Slack's error code (`channel_not_found`, `invalid_auth`, …),
/// or the HTTP/transport problem. Never holds a token.
public struct SlackAPIError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `ok: false` with Slack's error code.
        case slack(code: String)
        /// An HTTP status other than 200 or 429.
        case http(status: Int)
        /// 429 more often than the retry budget allows.
        case rateLimited
        /// The connection failed or timed out.
        case transport(String)
        /// The answer was not the JSON Slack sends.
        case malformedResponse
    }

    public var method: String
    public var kind: Kind
    /// For a 429: the seconds Slack's `Retry-After` asked for.
    public var retryAfter: Double?

    public init(method: String, kind: Kind, retryAfter: Double? = nil) {
        self.method = method
        self.kind = kind
        self.retryAfter = retryAfter
    }

    public var code: String? { if case .slack(let code) = kind { code } else { nil } }

    /// Worth retrying: 5xx, transport failures, Slack's `internal_error`/`fatal_error`/`ratelimited`.
    public var isTransient: Bool {
        switch kind {
        case .slack(let code): ["internal_error", "fatal_error", "ratelimited", "service_unavailable", "request_timeout"].contains(code)
        case .http(let status): status >= 500
        case .rateLimited, .transport: true
        case .malformedResponse: false
        }
    }

    /// Errors that mean the token itself is wrong: retrying cannot help.
    public var isAuthFailure: Bool {
        ["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission"].contains(code ?? "")
    }

    public var description: String {
        switch kind {
        case .slack(let code): "Slack \(method) failed: \(code)"
        case .http(let status): "Slack \(method) answered HTTP \(status)"
        case .rateLimited: "Slack \(method) kept answering 429 (rate limited)"
        case .transport(let reason): "Slack \(method) unreachable: \(reason)"
        case .malformedResponse: "Slack \(method) sent an answer that is not Slack's JSON"
        }
    }
}
