import Foundation

/// What the client needs to know about a service: how it signs, where it lives and which
/// protocol it speaks.
public struct AWSService: Sendable, Hashable {
    public enum WireProtocol: Sendable, Hashable {
        /// JSON 1.1: `POST /`, `X-Amz-Target: <prefix>.<Operation>`, `application/x-amz-json-1.1`.
        case json(targetPrefix: String)
        /// Query: form body `Action=…&Version=…`, XML answers.
        case query(version: String)
    }

    /// The SigV4 signing name.
    public var signingName: String
    /// `AWS_ENDPOINT_URL_<suffix>` overrides the endpoint.
    public var endpointEnvironmentSuffix: String
    public var wireProtocol: WireProtocol
    /// Global services have one endpoint and one signing region whatever the client's region.
    public var globalEndpoint: (host: String, signingRegion: String)?
    /// Used when no region is configured (STS has a global endpoint besides the regional ones).
    public var endpointWithoutRegion: (host: String, signingRegion: String)? = nil

    public static func == (lhs: AWSService, rhs: AWSService) -> Bool { lhs.signingName == rhs.signingName }
    public func hash(into hasher: inout Hasher) { hasher.combine(signingName) }

    /// Every service the adapter calls; each has its `AWS_ENDPOINT_URL_<suffix>` override.
    public static let all: [AWSService] = [.secretsManager, .iam, .sts, .elastiCache, .rds]

    public static let secretsManager = AWSService(
        signingName: "secretsmanager", endpointEnvironmentSuffix: "SECRETS_MANAGER",
        wireProtocol: .json(targetPrefix: "secretsmanager"), globalEndpoint: nil)

    /// IAM is global: `https://iam.amazonaws.com`, signed for us-east-1.
    public static let iam = AWSService(
        signingName: "iam", endpointEnvironmentSuffix: "IAM",
        wireProtocol: .query(version: "2010-05-08"), globalEndpoint: ("iam.amazonaws.com", "us-east-1"))

    public static let elastiCache = AWSService(
        signingName: "elasticache", endpointEnvironmentSuffix: "ELASTICACHE",
        wireProtocol: .query(version: "2015-02-02"), globalEndpoint: nil)

    /// RDS (Query protocol): the managed master user password.
    public static let rds = AWSService(
        signingName: "rds", endpointEnvironmentSuffix: "RDS",
        wireProtocol: .query(version: "2014-10-31"), globalEndpoint: nil)

    public static let sts = AWSService(
        signingName: "sts", endpointEnvironmentSuffix: "STS",
        wireProtocol: .query(version: "2011-06-15"), globalEndpoint: nil,
        endpointWithoutRegion: ("sts.amazonaws.com", "us-east-1"))
}
