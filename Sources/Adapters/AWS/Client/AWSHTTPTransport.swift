import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request as the AWS layer sees it. The body may hold a secret (a secret value being
/// written, a web identity token): it is never logged.
public struct AWSHTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct AWSHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Why a request got no HTTP response. Carries no request data, so it is safe to print.
public struct AWSTransportError: Error, Sendable, CustomStringConvertible {
    public var isTimeout: Bool
    public var message: String

    public init(isTimeout: Bool, message: String) {
        self.isTimeout = isTimeout
        self.message = message
    }

    public var description: String { isTimeout ? "timed out: \(message)" : "connection failed: \(message)" }
}

/// The HTTP seam: AsyncHTTPClient in production, anything that answers in tests.
public protocol AWSHTTPTransport: Sendable {
    /// Sends the request and reads the whole response; throws `AWSTransportError` when no
    /// response arrives within `timeout`.
    func send(_ request: AWSHTTPRequest, timeout: Duration) async throws -> AWSHTTPResponse
}

/// `AWSHTTPTransport` over AsyncHTTPClient (`HTTPClient.shared` unless another client is given).
public struct AsyncHTTPClientTransport: AWSHTTPTransport {
    let client: HTTPClient
    /// Responses larger than this are refused (AWS answers in kilobytes).
    let maxResponseBytes: Int

    public init(client: HTTPClient = .shared, maxResponseBytes: Int = 8 << 20) {
        self.client = client
        self.maxResponseBytes = maxResponseBytes
    }

    public func send(_ request: AWSHTTPRequest, timeout: Duration) async throws -> AWSHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let deadline = TimeAmount.nanoseconds(nanoseconds)
        do {
            let response = try await client.execute(outgoing, timeout: deadline)
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return AWSHTTPResponse(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: body))
        } catch let error as HTTPClientError {
            let timedOut = error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
                || error == .getConnectionFromPoolTimeout
            throw AWSTransportError(isTimeout: timedOut, message: "\(request.method) \(Self.safeURL(request.url)): \(error)")
        } catch let error as AWSTransportError {
            throw error
        } catch {
            throw AWSTransportError(isTimeout: false, message: "\(request.method) \(Self.safeURL(request.url)): \(type(of: error)) \(error)")
        }
    }

    /// Scheme, host, port and path only: a presigned URL's query holds a signature and maybe a token.
    static func safeURL(_ url: URL) -> String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.query = nil
        components?.user = nil
        components?.password = nil
        return components?.string ?? "<url>"
    }
}
