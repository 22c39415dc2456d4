import Foundation

/// Region, endpoints and timeouts, read from an environment dictionary (never from the process
/// environment directly, so tests pass their own).
///
/// - `AWS_REGION`, else `AWS_DEFAULT_REGION`.
/// - `AWS_ENDPOINT_URL_<SERVICE>` (`SECRETS_MANAGER`, `IAM`, `STS`, `ELASTICACHE`, `RDS`), else `AWS_ENDPOINT_URL`,
///   else the public endpoint (`https://secretsmanager.<region>.amazonaws.com`,
///   `https://iam.amazonaws.com`, `https://sts.<region>.amazonaws.com`).
public struct AWSConfiguration: Sendable {
    public var region: String?
    public var endpointOverrides: [String: URL]
    public var sharedEndpoint: URL?
    /// How long one HTTP call may take, connection included.
    public var timeout: Duration

    public init(region: String?, endpointOverrides: [String: URL] = [:], sharedEndpoint: URL? = nil, timeout: Duration = .seconds(30)) {
        self.region = region
        self.endpointOverrides = endpointOverrides
        self.sharedEndpoint = sharedEndpoint
        self.timeout = timeout
    }

    public init(environment: [String: String], timeout: Duration = .seconds(30)) throws(AWSConfigurationError) {
        func nonEmpty(_ key: String) -> String? {
            guard let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        func url(_ key: String) throws(AWSConfigurationError) -> URL? {
            guard let text = nonEmpty(key) else { return nil }
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw AWSConfigurationError(setting: key, problem: "is not an http(s) URL")
            }
            return url
        }
        var overrides: [String: URL] = [:]
        for service in AWSService.all {
            if let override = try url("AWS_ENDPOINT_URL_\(service.endpointEnvironmentSuffix)") {
                overrides[service.signingName] = override
            }
        }
        self.init(region: nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION"), endpointOverrides: overrides,
                  sharedEndpoint: try url("AWS_ENDPOINT_URL"), timeout: timeout)
    }

    /// Where to send a service's requests.
    public func endpoint(for service: AWSService) throws(AWSConfigurationError) -> URL {
        if let override = endpointOverrides[service.signingName] ?? sharedEndpoint { return override }
        if let global = service.globalEndpoint ?? (region == nil ? service.endpointWithoutRegion : nil) {
            return URL(string: "https://\(global.host)")!
        }
        guard let region else {
            throw AWSConfigurationError(setting: "AWS_REGION", problem: "is not set (nor AWS_DEFAULT_REGION); \(service.signingName) needs a region")
        }
        return URL(string: "https://\(service.signingName).\(region).amazonaws.com")!
    }

    /// The region a service's requests are signed for.
    public func signingRegion(for service: AWSService) throws(AWSConfigurationError) -> String {
        if let global = service.globalEndpoint ?? (region == nil ? service.endpointWithoutRegion : nil) {
            return global.signingRegion
        }
        guard let region else {
            throw AWSConfigurationError(setting: "AWS_REGION", problem: "is not set (nor AWS_DEFAULT_REGION); \(service.signingName) needs a region")
        }
        return region
    }
}

/// A setting that is missing or malformed, named so the operator can fix it.
public struct AWSConfigurationError: Error, Sendable, CustomStringConvertible {
    public var setting: String
    public var problem: String

    public init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(setting) \(problem)" }
}
