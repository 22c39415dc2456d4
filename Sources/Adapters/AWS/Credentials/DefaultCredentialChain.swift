import Foundation

/// The standard provider order of the AWS SDKs, built from an environment dictionary:
/// environment variables → web identity → shared files → container → instance metadata (IMDSv2),
/// cached and refreshed before expiry.
public enum DefaultCredentialChain {
    /// Endpoints that are not environment settings; tests point them at loopback fakes.
    public struct Endpoints: Sendable {
        public var containerRelativeBase: URL

        public init(containerRelativeBase: URL = ContainerCredentialProvider.defaultRelativeBaseURL) {
            self.containerRelativeBase = containerRelativeBase
        }
    }

    /// The chain's providers, in order, uncached.
    public static func providers(
        environment: [String: String], transport: any AWSHTTPTransport = AsyncHTTPClientTransport(), endpoints: Endpoints = Endpoints()
    ) throws(AWSConfigurationError) -> [any AWSCredentialProvider] {
        let stsClient = AWSClient(configuration: try AWSConfiguration(environment: environment, timeout: .seconds(10)),
                                  credentialProvider: nil, transport: transport)
        return [
            EnvironmentCredentialProvider(environment: environment),
            WebIdentityCredentialProvider(environment: environment, client: stsClient),
            SharedFilesCredentialProvider(environment: environment),
            ContainerCredentialProvider(environment: environment, transport: transport, relativeBaseURL: endpoints.containerRelativeBase),
            IMDSCredentialProvider(environment: environment, transport: transport),
        ]
    }

    /// The cached chain a client uses.
    public static func make(
        environment: [String: String], transport: any AWSHTTPTransport = AsyncHTTPClientTransport(),
        endpoints: Endpoints = Endpoints(), refreshMargin: TimeInterval = 300
    ) throws(AWSConfigurationError) -> CachingCredentialProvider {
        CachingCredentialProvider(AWSCredentialChain(try providers(environment: environment, transport: transport, endpoints: endpoints)),
                                  refreshMargin: refreshMargin)
    }
}
