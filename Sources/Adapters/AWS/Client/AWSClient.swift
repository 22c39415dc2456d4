import AegisCore
import Foundation
import Logging

/// Sends signed requests to AWS services and turns their answers into values or `AWSError`s.
///
/// One client serves every service; the protocol-specific halves live in
/// `AWSClient+JSON.swift` and `AWSClient+Query.swift`.
public struct AWSClient: Sendable {
    /// How a request is authenticated.
    public enum Signing: Sendable {
        /// With the client's credential provider.
        case provider
        /// With these credentials (e.g. a key just created, to prove it works).
        case credentials(AWSCredentials)
        /// Not at all (STS `AssumeRoleWithWebIdentity`, which the token authenticates).
        case unsigned
    }

    public let configuration: AWSConfiguration
    public let credentialProvider: (any AWSCredentialProvider)?
    let transport: any AWSHTTPTransport
    let logger: Logger

    public init(configuration: AWSConfiguration, credentialProvider: (any AWSCredentialProvider)?,
                transport: any AWSHTTPTransport = AsyncHTTPClientTransport(), logger: Logger = Logger(label: "aegis.aws")) {
        self.configuration = configuration
        self.credentialProvider = credentialProvider
        self.transport = transport
        self.logger = logger
    }

    /// Signs and sends `POST /` with `body`; returns the response when it is a 2xx, throws
    /// `AWSError` otherwise (parsed by `parseError`).
    func post(
        service: AWSService, operation: String, headers: [(name: String, value: String)], body: [UInt8], signing: Signing,
        parseError: (AWSHTTPResponse) -> (code: String, message: String)?
    ) async throws(AWSError) -> AWSHTTPResponse {
        let endpoint: URL
        let region: String
        do throws(AWSConfigurationError) {
            endpoint = try configuration.endpoint(for: service)
            region = try configuration.signingRegion(for: service)
        } catch {
            throw AWSError(kind: .credentials, service: service.signingName, operation: operation,
                           code: "InvalidConfiguration", message: error.description)
        }
        let url = endpoint.path.isEmpty ? endpoint.appendingPathComponent("") : endpoint
        var allHeaders = headers
        if case .provider = signing, credentialProvider == nil {
            throw AWSError(kind: .credentials, service: service.signingName, operation: operation,
                           code: "NoCredentials", message: "this client has no credential provider")
        }
        if let credentials = try await resolveCredentials(signing, service: service, operation: operation) {
            let signer = SigV4Signer(credentials: credentials, region: region, service: service.signingName)
            allHeaders += signer.signHeaders(method: "POST", url: url, headers: headers, body: body).headers
        }

        let started = ContinuousClock.now
        let response: AWSHTTPResponse
        do {
            response = try await transport.send(AWSHTTPRequest(method: "POST", url: url, headers: allHeaders, body: body),
                                                timeout: configuration.timeout)
        } catch let error as AWSTransportError {
            logger.warning("aws request failed", metadata: [
                "aws.service": "\(service.signingName)", "aws.operation": "\(operation)", "error": "\(error)",
            ])
            throw AWSError(kind: error.isTimeout ? .timeout : .transport, service: service.signingName,
                           operation: operation, code: error.isTimeout ? "RequestTimeout" : "NetworkFailure", message: error.message)
        } catch {
            throw AWSError(kind: .transport, service: service.signingName, operation: operation,
                           code: "NetworkFailure", message: "\(type(of: error))")
        }
        let requestID = response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id")
        logger.debug("aws request", metadata: [
            "aws.service": "\(service.signingName)", "aws.operation": "\(operation)", "http.status": "\(response.status)",
            "aws.request_id": "\(requestID ?? "-")", "duration": "\(ContinuousClock.now - started)",
        ])
        guard (200..<300).contains(response.status) else {
            let parsed = parseError(response) ?? Self.parseAnyError(response)
            throw AWSError(kind: .service, service: service.signingName, operation: operation,
                           code: parsed?.code ?? "HTTP\(response.status)", message: parsed?.message ?? "",
                           requestID: requestID ?? Self.requestIDInBody(response), httpStatus: response.status)
        }
        return response
    }

    func resolveCredentials(_ signing: Signing, service: AWSService, operation: String) async throws(AWSError) -> AWSCredentials? {
        switch signing {
        case .unsigned: return nil
        case .credentials(let credentials): return credentials
        case .provider:
            do {
                guard let found = try await credentialProvider?.credentials() else {
                    throw AWSCredentialError(provider: credentialProvider?.name ?? "none", message: "no credentials")
                }
                return found
            } catch let error as AWSCredentialError {
                throw AWSError(kind: .credentials, service: service.signingName, operation: operation,
                               code: "NoCredentials", message: error.description)
            } catch let error as AWSError {
                throw AWSError(kind: .credentials, service: service.signingName, operation: operation,
                               code: "NoCredentials", message: "credential provider: \(error.description)")
            } catch {
                throw AWSError(kind: .credentials, service: service.signingName, operation: operation,
                               code: "NoCredentials", message: "credential provider failed: \(type(of: error))")
            }
        }
    }

    /// Either protocol's error shape: services and moto answer auth failures in XML even for
    /// JSON services, so both are tried.
    static func parseAnyError(_ response: AWSHTTPResponse) -> (code: String, message: String)? {
        parseJSONError(response) ?? parseXMLError(response)
    }

    static func parseJSONError(_ response: AWSHTTPResponse) -> (code: String, message: String)? {
        struct Shape: Decodable {
            var type: String?
            var code: String?
            var message: String?
            var upperMessage: String?
            enum CodingKeys: String, CodingKey {
                case type = "__type", code, message, upperMessage = "Message"
            }
        }
        let headerCode = response.header("x-amzn-ErrorType")
        guard let shape = try? JSONDecoder().decode(Shape.self, from: Data(response.body)) else {
            return headerCode.map { (normalizeCode($0), "") }
        }
        guard let code = headerCode ?? shape.type ?? shape.code else { return nil }
        return (normalizeCode(code), shape.message ?? shape.upperMessage ?? "")
    }

    static func parseXMLError(_ response: AWSHTTPResponse) -> (code: String, message: String)? {
        guard let tree = XMLTree.parse(response.body), let error = tree.name == "Error" ? tree : tree.find("Error"),
              let code = error.string("Code"), !code.isEmpty else { return nil }
        return (code, error.string("Message") ?? "")
    }

    static func requestIDInBody(_ response: AWSHTTPResponse) -> String? {
        guard let tree = XMLTree.parse(response.body) else { return nil }
        return (tree.find("RequestId") ?? tree.find("RequestID"))?.text
    }

    /// `com.amazonaws.secretsmanager#ResourceNotFoundException` and `Code:http://…` → the bare code.
    static func normalizeCode(_ raw: String) -> String {
        var code = Substring(raw)
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        return String(code)
    }
}
