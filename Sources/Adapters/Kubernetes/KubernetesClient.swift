import AegisCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// A small Kubernetes API client: JSON over AsyncHTTPClient, TLS with the kubeconfig's CA and
/// optional client certificate (plain HTTP for local fakes), a bearer token per request. Owns its
/// HTTP client: call ``shutdown()`` when done.
public final class KubernetesClient: Sendable {
    public let config: KubeConfig
    let http: HTTPClient
    let tokens: BearerTokenSource
    let timeout: Duration
    let logger: Logger

    public init(config: KubeConfig, timeout: Duration = .seconds(30), tokenRefreshInterval: Duration = .seconds(60),
                logger: Logger = Logger(label: "aegis.kubernetes")) throws {
        var configuration = HTTPClient.Configuration()
        if config.server.scheme == "https" { configuration.tlsConfiguration = try Self.tlsConfiguration(config.tls) }
        configuration.redirectConfiguration = .disallow
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.config = config
        self.tokens = BearerTokenSource(config.credential, refreshInterval: tokenRefreshInterval)
        self.timeout = timeout
        self.logger = logger
    }

    /// Tokens go over TLS, or over plain http only to a loopback address (local fakes). kubectl is
    /// stricter (no credentials over http at all); a loopback exception keeps our tests honest about
    /// auth without letting a mistyped `http://` server send a token across a network in clear.
    public var sendsCredentials: Bool {
        config.server.scheme == "https" || ["127.0.0.1", "localhost", "::1", "[::1]"].contains(config.server.host ?? "")
    }

    public func shutdown() async throws { try await http.shutdown() }

    static func tlsConfiguration(_ tls: KubeTLS) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let ca = tls.certificateAuthorityPEM {
            guard let roots = try? NIOSSLCertificate.fromPEMBytes(ca), !roots.isEmpty else {
                throw KubeConfigError("the certificate authority is not a PEM certificate")
            }
            configuration.trustRoots = .certificates(roots)
        }
        if tls.insecureSkipVerify { configuration.certificateVerification = .none }
        if let certificate = tls.clientCertificatePEM, let key = tls.clientKeyPEM {
            guard let chain = try? NIOSSLCertificate.fromPEMBytes(certificate), !chain.isEmpty else {
                throw KubeConfigError("the client certificate is not a PEM certificate")
            }
            guard let privateKey = try? NIOSSLPrivateKey(bytes: key.revealSecretBytes(), format: .pem) else {
                throw KubeConfigError("the client key is not a PEM private key")
            }
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(privateKey)
        }
        return configuration
    }

    /// One request. Non-2xx answers throw a ``KubernetesError`` built from the Status object; a
    /// 401 with a token file re-reads the file once and retries (the token may have rotated).
    public func send(_ method: KubeMethod, _ path: String, query: [(String, String)] = [],
                     contentType: String? = nil, body: [UInt8]? = nil) async throws -> [UInt8] {
        let operation = "\(method.rawValue) \(path)"
        var response = try await sendOnce(method, path, query: query, contentType: contentType, body: body, operation: operation, forceTokenReload: false)
        if response.status == 401, await tokens.rereadable {
            response = try await sendOnce(method, path, query: query, contentType: contentType, body: body, operation: operation, forceTokenReload: true)
        }
        guard (200..<300).contains(response.status) else {
            let error = KubernetesError.fromResponse(operation: operation, status: response.status, body: response.body)
            logger.debug("kubernetes request failed", metadata: ["operation": "\(operation)", "status": "\(response.status)"])
            throw error
        }
        return response.body
    }

    /// GET and decode JSON.
    public func get<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = []) async throws -> T {
        let body = try await send(.GET, path, query: query)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw KubernetesError(operation: "GET \(path)", reason: "InvalidResponse",
                                  message: "the response is not a \(T.self)", isTransient: false)
        }
    }

    func sendOnce(_ method: KubeMethod, _ path: String, query: [(String, String)], contentType: String?, body: [UInt8]?,
                  operation: String, forceTokenReload: Bool) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url(path, query: query))
        request.method = HTTPMethod(rawValue: method.rawValue)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "aegis-rotate")
        let token: SecretValue?
        do {
            token = try await tokens.token(forceReload: forceTokenReload)
        } catch {
            throw KubernetesError(operation: operation, reason: "Credential", message: "\(error)", isTransient: false)
        }
        if let token, sendsCredentials { request.headers.add(name: "Authorization", value: "Bearer " + token.revealSecretString()) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(nanoseconds))
            let collected = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), Array(buffer: collected))
        } catch let error as HTTPClientError {
            let timedOut = error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
                || error == .getConnectionFromPoolTimeout
            throw KubernetesError(operation: operation, reason: timedOut ? "Timeout" : "Transport", message: "\(error)", isTransient: true)
        } catch let error as NIOSSLError {
            throw Self.tlsFailure(operation, error)
        } catch let error as BoringSSLError {
            throw Self.tlsFailure(operation, error)
        } catch {
            throw KubernetesError(operation: operation, reason: "Transport", message: "\(type(of: error)): \(error)", isTransient: true)
        }
    }

    /// An untrusted server or a refused client certificate will not fix itself on retry.
    static func tlsFailure(_ operation: String, _ error: any Error) -> KubernetesError {
        KubernetesError(operation: operation, reason: "TLS", message: "\(type(of: error)): \(error)", isTransient: false)
    }

    func url(_ path: String, query: [(String, String)]) -> String {
        var base = config.server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+;,")
        let encoded = query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
        return base + path + (encoded.isEmpty ? "" : "?" + encoded.joined(separator: "&"))
    }
}

/// The verbs the adapter uses, so callers need not import NIO's HTTP types.
public enum KubeMethod: String, Sendable {
    case GET, PATCH, POST, PUT, DELETE
}
