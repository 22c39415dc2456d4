import AegisCore
import AsyncHTTPClient
import Foundation
import NIOSSL

extension ProviderHTTP {
    /// An HTTP client for one provider: redirects refused (a credential must not follow one), and
    /// when `caBundleSetting` names a readable PEM file, only its CAs trusted (a private endpoint,
    /// or a test fake); otherwise the system's roots.
    public static func makeClient(_ setup: AdapterSetup, caBundleSetting: String) throws(AdapterSetupProblem) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let path = setup.string(caBundleSetting) {
            guard let data = BoundedFile.contents(path) else {
                throw AdapterSetupProblem("\(caBundleSetting) names '\(path)', which cannot be read")
            }
            guard let roots = try? NIOSSLCertificate.fromPEMBytes(Array(data)), !roots.isEmpty else {
                throw AdapterSetupProblem("\(caBundleSetting) does not hold a PEM certificate")
            }
            tls.trustRoots = .certificates(roots)
        }
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
