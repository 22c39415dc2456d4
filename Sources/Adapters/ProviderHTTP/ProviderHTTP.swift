import AegisCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP loop every token-authenticated provider API shares (Okta, OpenAI, Anthropic): one
/// JSON call under the per-call timeout (`AEGIS_PROVIDER_TIMEOUT`), and a 429 waited out by the
/// provider's own header — each provider says how long in its `rateLimitWait` — at most
/// ``maxRateLimitWaits`` times. What a status means stays with each provider's error type.
///
/// Headers may carry credentials: callers build them, and nothing here logs them or puts them
/// in an error.
public struct ProviderHTTP: Sendable {
    public static let maxRateLimitWaits = 2
    /// The largest answer read; provider JSON is far smaller.
    static let maxBody = 4 << 20

    public let base: URL
    let http: HTTPClient
    let timeout: Duration

    public init(base: URL, http: HTTPClient, timeout: Duration) {
        self.base = base
        self.http = http
        self.timeout = timeout
    }

    /// A base URL the bot will send credentials to: https, or http to a loopback host (tests, a
    /// local stand-in). Anything else would put a key on the wire in clear.
    public static func validatedBase(_ url: URL, setting: String) throws(AdapterSetupProblem) -> URL {
        let scheme = url.scheme?.lowercased()
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(url.host ?? "")
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw AdapterSetupProblem("\(setting) must be https (http only for a loopback host)")
        }
        return url
    }

    /// `base` + `path` (which starts with `/`), without a doubled slash.
    public func url(_ path: String) -> String {
        let text = base.absoluteString
        return (text.hasSuffix("/") ? String(text.dropLast()) : text) + path
    }

    /// One call: the status, headers and body of the first answer that is not a 429 the provider
    /// let us wait out (`rateLimitWait` returns nil when it asks for too long). Throws the
    /// transport's error when there was no answer at all (refused, reset, timed out).
    public func execute(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, body: Data?,
                        contentType: String = "application/json",
                        rateLimitWait: (HTTPHeaders) -> Duration?) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
        var waited = 0
        while true {
            var request = HTTPClientRequest(url: url(path))
            request.method = method
            request.headers = headers
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: contentType)
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanosecondsClamped))
            let collected = try await response.body.collect(upTo: Self.maxBody)
            let answer = Data(collected.readableBytesView)
            let status = Int(response.status.code)
            if status == 429, waited < Self.maxRateLimitWaits, let wait = rateLimitWait(response.headers) {
                waited += 1
                // Cancelled while waiting (shutdown): the 429 is the answer.
                guard (try? await Task.sleep(for: wait)) != nil else { return (status, response.headers, answer) }
                continue
            }
            return (status, response.headers, answer)
        }
    }
}

extension Duration {
    /// Whole nanoseconds, for NIO's `TimeAmount`.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
