import AegisTestServers
import Foundation
import Testing

/// Proves each in-repo provider fake speaks its provider's real protocol: the provider's own
/// official Python SDK (okta, openai, anthropic, azure-identity + azure-keyvault-secrets +
/// msgraph-sdk, google-cloud-secret-manager + google-auth, pagerduty, botocore for ElastiCache, botocore for RDS, onepasswordconnectsdk) makes
/// every call the bot makes against it, negative cases included
/// (`Tests/Fakes/python/prove_<provider>.py`; each fact it proves is one `ok:` line). One proof at
/// a time: four SDK imports at once starve a 2-core machine's other suites of CPU.
@Suite("provider fakes against the providers' official SDKs", .serialized, .timeLimit(.minutes(8)))
struct ProviderSDKProofTests {
    /// The facts each proof establishes today; fewer means a proof silently stopped checking.
    static let minimumFacts = ["okta": 40, "openai": 25, "anthropic": 24, "azure": 80, "gcp": 100, "pagerduty": 80, "elasticache": 25, "rds": 40, "onepassword": 100]

    @Test("the SDK drives the fake and every proof holds", arguments: ["okta", "openai", "anthropic", "azure", "gcp", "pagerduty", "elasticache", "rds", "onepassword"])
    func sdkProof(provider: String) async throws {
        let script = PythonFake.folder.appendingPathComponent("prove_\(provider).py").path
        let proof = try TestProcess.python([script], mergeOutput: true)
        let status: Int32
        do {
            status = try await proof.waitForExit(timeout: .seconds(240))
        } catch {
            proof.signal(SIGKILL)
            throw error
        }
        let output = proof.stdout
        #expect(status == 0, "prove_\(provider).py failed:\n\(output.suffix(4_000))")
        let facts = output.split(separator: "\n").filter { $0.hasPrefix("ok: ") }.count
        #expect(facts >= Self.minimumFacts[provider, default: 1], "only \(facts) facts proven:\n\(output.suffix(4_000))")
        #expect(!output.split(separator: "\n").contains { $0.hasPrefix("FAIL") }, "\(output.suffix(4_000))")
    }
}
