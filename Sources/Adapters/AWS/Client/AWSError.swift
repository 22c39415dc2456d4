import AegisCore
import Foundation

/// A failed AWS call. `description` names the service, operation, AWS error code, message and
/// request ID, and never a secret: messages are cut to their first line (AWS appends the
/// canonical request, which may hold a session token, to `SignatureDoesNotMatch`).
public struct AWSError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// AWS answered with an error (`code` is AWS's error code).
        case service
        /// No answer in time.
        case timeout
        /// No answer at all (connection refused, DNS, TLS).
        case transport
        /// No credentials could be found or fetched.
        case credentials
        /// An answer this client could not read.
        case invalidResponse
    }

    public var kind: Kind
    /// The signing name: `secretsmanager`, `iam`, `sts`.
    public var service: String
    public var operation: String
    public var code: String
    public var message: String
    public var requestID: String?
    public var httpStatus: Int?

    public init(kind: Kind, service: String, operation: String, code: String, message: String,
                requestID: String? = nil, httpStatus: Int? = nil) {
        self.kind = kind
        self.service = service
        self.operation = operation
        self.code = code
        self.message = Self.sanitize(message)
        self.requestID = requestID
        self.httpStatus = httpStatus
    }

    /// An answer the client cannot use (not XML/JSON, a missing element): code `InvalidResponse`.
    static func invalidResponse(_ service: AWSService, _ operation: String, _ message: String,
                                requestID: String? = nil, httpStatus: Int? = nil) -> AWSError {
        AWSError(kind: .invalidResponse, service: service.signingName, operation: operation, code: "InvalidResponse",
                 message: message, requestID: requestID, httpStatus: httpStatus)
    }

    /// Codes AWS uses for "slow down" or "try again"; with 5xx and timeouts they are worth a retry.
    static let transientCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
        "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown",
        "RequestTimeout", "RequestTimeoutException", "ServiceUnavailable", "InternalFailure",
        "InternalServiceError", "InternalServiceErrorException", "ServiceFailure", "PriorRequestNotComplete",
        "IDPCommunicationError",
    ]

    /// Worth retrying: timeouts, transport failures, 5xx, 429 and AWS's throttling codes.
    public var isTransient: Bool {
        switch kind {
        case .timeout, .transport: return true
        case .credentials, .invalidResponse: return false
        case .service:
            if let httpStatus, httpStatus >= 500 || httpStatus == 429 { return true }
            return Self.transientCodes.contains(code)
        }
    }

    public var description: String { "\(service) \(operation): \(detail)" }

    /// Code, message, HTTP status and request ID, without the service and operation.
    public var detail: String {
        var text = code
        if !message.isEmpty { text += ": \(message)" }
        var details: [String] = []
        if let httpStatus { details.append("HTTP \(httpStatus)") }
        if let requestID { details.append("request \(requestID)") }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        return text
    }

    /// The same failure as core's `AdapterError`, which the engine retries when transient.
    public var adapterError: AdapterError {
        AdapterError(system: Self.systemName(service), operation: operation, message: detail, isTransient: isTransient)
    }

    static func systemName(_ service: String) -> String {
        switch service {
        case "secretsmanager": "AWS Secrets Manager"
        case "iam": "AWS IAM"
        case "sts": "AWS STS"
        case "rds": "AWS RDS"
        default: "AWS \(service)"
        }
    }

    /// First line only, at most 300 characters: what follows the first line of an AWS error
    /// message (the canonical request and string to sign) can hold a session token.
    static func sanitize(_ message: String) -> String {
        var line = message.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).first.map(String.init) ?? ""
        if let range = line.range(of: "The Canonical String") { line = String(line[..<range.lowerBound]) }
        line = line.trimmingCharacters(in: .whitespaces)
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}
