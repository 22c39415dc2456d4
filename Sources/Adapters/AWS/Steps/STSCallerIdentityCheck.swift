import AegisCore
import Foundation
import Logging

/// `sts-caller-identity`: `GetCallerIdentity` signed with the key stored under the expected
/// version (an ``IAMAccessKeyPair``) answers with the IAM user the Commands file's
/// `iam-access-key` step names. A brand-new key takes a few seconds to be accepted everywhere
/// (IAM is eventually consistent), so `InvalidClientTokenId` and transient failures are retried
/// with doubling delays (about 10 s in all by default). The detail names the ARN, never the key.
public struct STSCallerIdentityCheck: CheckRunner {
    let sts: STSClient
    let attempts: Int
    let firstDelay: Duration

    /// - Parameter client: where STS is (endpoint, region); each call is signed with the stored key.
    public init(client: AWSClient, attempts: Int = 5, firstDelay: Duration = .milliseconds(650)) {
        self.sts = STSClient(client: client)
        self.attempts = max(1, attempts)
        self.firstDelay = firstDelay
    }

    public func run(_ check: CheckDefinition, context: CheckContext) async -> CheckResult {
        let version = context.expectedCurrentVersion
        let pair: IAMAccessKeyPair
        do {
            guard let value = try await context.store.value(secret: context.definition.storage, versionID: version) else {
                return CheckResult(title: check.title, status: .failed, detail: "version \(version) is missing from the store")
            }
            pair = try IAMAccessKeyPair(stored: value, versionID: version)
        } catch {
            return CheckResult(title: check.title, status: .failed, detail: RotationEngine.safeDescription(error))
        }
        let expectedUser = context.definition.steps.first { $0.kind == .iamAccessKey }?.text("user")
        var delay = firstDelay
        var lastError: AWSError?
        for attempt in 1...attempts {
            do throws(AWSError) {
                let identity = try await sts.callerIdentity(credentials: pair.credentials)
                let user = Self.userName(ofARN: identity.arn)
                guard expectedUser == nil || user == expectedUser else {
                    return CheckResult(title: check.title, status: .failed,
                                       detail: "key \(pair.accessKeyID) is \(identity.arn), expected user \(expectedUser ?? "?")")
                }
                return CheckResult(title: check.title, status: .passed,
                                   detail: "key \(pair.accessKeyID) (version \(version)) is \(identity.arn)")
            } catch {
                lastError = error
                guard error.code == "InvalidClientTokenId" || error.isTransient, attempt < attempts else { break }
                context.logger.info("new key not accepted yet, retrying", metadata: [
                    "access_key_id": "\(pair.accessKeyID)", "attempt": "\(attempt)", "error": "\(error.code)"])
                try? await Task.sleep(for: delay)
                delay *= 2
            }
        }
        return CheckResult(title: check.title, status: .failed,
                           detail: "key \(pair.accessKeyID) (version \(version)): \(lastError?.description ?? "no answer")")
    }

    /// `arn:aws:iam::123456789012:user/path/name` → `name`; nil for anything but an IAM user.
    static func userName(ofARN arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "iam", parts[5].hasPrefix("user/") else { return nil }
        return parts[5].split(separator: "/").last.map(String.init)
    }
}
