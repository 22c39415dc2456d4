import AegisCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP client for the token endpoint, Graph and Key Vault: TLS trusting the system roots, or
/// only the CA bundle `AZURE_CA_BUNDLE` names (a private endpoint, the test fake); verification
/// is never switched off. Every call has the provider timeout. A 429 waits for `Retry-After`
/// (seconds, or an HTTP date) up to ``maxRateLimitWait``, twice at most; after that, and for any
/// 5xx, the call fails as transient and the engine retries the step.
public struct AzureHTTP: Sendable {
    let http: HTTPClient
    let timeout: Duration
    static let maxRateLimitWait: Duration = .seconds(30)

    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data
    }

    /// - Parameter caBundlePEM: the only roots to trust; nil trusts the system's.
    public init(caBundlePEM: [UInt8]?, timeout: Duration) throws(AdapterSetupProblem) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caBundlePEM {
            guard let roots = try? NIOSSLCertificate.fromPEMBytes(caBundlePEM), !roots.isEmpty else {
                throw AdapterSetupProblem("AZURE_CA_BUNDLE does not hold a PEM certificate")
            }
            tls.trustRoots = .certificates(roots)
        }
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .disallow
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// Sends one request (retrying a 429 as the service asks) and returns any answer; a 4xx/5xx is
    /// for the caller to read. Only transport failures throw here.
    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)], body: Data?,
              service: AzureError.Service, operation: String) async throws(AzureError) -> Response {
        var waited = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response: HTTPClientResponse
            let collected: ByteBuffer
            do {
                response = try await http.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
                collected = try await response.body.collect(upTo: 4 << 20)
            } catch {
                throw AzureError(service: service, operation: operation, unreachable: error)
            }
            let answer = Response(status: Int(response.status.code), headers: response.headers, body: Data(collected.readableBytesView))
            if answer.status == 429, waited < 2, let wait = Self.retryAfter(answer.headers) {
                waited += 1
                do { try await Task.sleep(for: wait) } catch {
                    throw AzureError(service: service, operation: operation, status: 429, body: answer.body)
                }
                continue
            }
            return answer
        }
    }

    /// `Retry-After` as seconds or an HTTP date (at least 1 s, 1 s when absent); nil when the
    /// service asks for longer than ``maxRateLimitWait``.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let text = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return .seconds(1) }
        let seconds: Double
        if let number = Double(text) {
            seconds = number
        } else if let date = httpDate(text) {
            seconds = date.timeIntervalSinceNow
        } else {
            return .seconds(1)
        }
        guard seconds <= Double(maxRateLimitWait.components.seconds) else { return nil }
        return .milliseconds(Int64(max(1, seconds) * 1_000))
    }

    static func httpDate(_ text: String) -> Date? {
        Timestamps.parseHTTPDate(text)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
