import AegisCore
import Foundation

/// An IAM access key's metadata (never its secret).
public struct IAMAccessKeyMetadata: Sendable, Hashable {
    public var accessKeyID: String
    public var userName: String?
    public var status: IAMAccessKeyStatus
    public var createDate: Date?
}

public enum IAMAccessKeyStatus: String, Sendable, Hashable {
    case active = "Active"
    case inactive = "Inactive"
}

/// A key just created: the only time IAM hands out the secret, which stays a `SecretValue`.
public struct IAMNewAccessKey: Sendable, CustomStringConvertible {
    public var metadata: IAMAccessKeyMetadata
    public var secretAccessKey: SecretValue

    /// Credentials for signing with this key.
    public var credentials: AWSCredentials {
        AWSCredentials(accessKeyID: metadata.accessKeyID, secretAccessKey: secretAccessKey)
    }

    public var description: String { "IAMNewAccessKey(\(metadata.accessKeyID), secret <redacted>)" }
}

/// When and where a key was last used (`GetAccessKeyLastUsed`).
public struct IAMAccessKeyLastUsed: Sendable, Hashable {
    public var userName: String?
    public var lastUsedDate: Date?
    /// `N/A` when the key was never used.
    public var serviceName: String?
    public var region: String?
}

/// The IAM access-key operations a key rotation needs. IAM allows two keys per user, which is
/// what makes an overlap window possible: create the new key, deploy it, deactivate the old
/// one, and delete it after the grace period.
public struct IAMAccessKeys: Sendable {
    let client: AWSClient
    static let service = AWSService.iam

    public init(client: AWSClient) { self.client = client }

    /// `CreateAccessKey`; without `userName`, for the calling user. A third key fails with
    /// `LimitExceeded`.
    public func createAccessKey(userName: String? = nil) async throws(AWSError) -> IAMNewAccessKey {
        let tree = try await client.query(Self.service, action: "CreateAccessKey", parameters: userParameter(userName))
        let result = try client.result(tree, service: Self.service, action: "CreateAccessKey")
        guard let key = result.child("AccessKey"), let id = key.string("AccessKeyId"), let secret = key.string("SecretAccessKey") else {
            throw AWSError.invalidResponse(Self.service, "CreateAccessKey", "the answer has no AccessKey")
        }
        return IAMNewAccessKey(metadata: metadata(key, id: id), secretAccessKey: SecretValue(utf8: secret))
    }

    /// `ListAccessKeys`, every page.
    public func listAccessKeys(userName: String? = nil) async throws(AWSError) -> [IAMAccessKeyMetadata] {
        var keys: [IAMAccessKeyMetadata] = []
        var marker: String?
        repeat {
            var parameters = userParameter(userName)
            if let marker { parameters.append(("Marker", marker)) }
            let tree = try await client.query(Self.service, action: "ListAccessKeys", parameters: parameters)
            let result = try client.result(tree, service: Self.service, action: "ListAccessKeys")
            for member in result.child("AccessKeyMetadata")?.children ?? [] {
                guard let id = member.string("AccessKeyId") else { continue }
                keys.append(metadata(member, id: id))
            }
            let previous = marker
            marker = result.string("IsTruncated") == "true" ? result.string("Marker").flatMap { $0.isEmpty || $0 == previous ? nil : $0 } : nil
        } while marker != nil
        return keys
    }

    /// `UpdateAccessKey`: make a key Active or Inactive.
    public func updateAccessKey(accessKeyID: String, status: IAMAccessKeyStatus, userName: String? = nil) async throws(AWSError) {
        _ = try await client.query(Self.service, action: "UpdateAccessKey",
                                   parameters: [("AccessKeyId", accessKeyID), ("Status", status.rawValue)] + userParameter(userName))
    }

    /// `DeleteAccessKey`.
    public func deleteAccessKey(accessKeyID: String, userName: String? = nil) async throws(AWSError) {
        _ = try await client.query(Self.service, action: "DeleteAccessKey",
                                   parameters: [("AccessKeyId", accessKeyID)] + userParameter(userName))
    }

    /// `GetAccessKeyLastUsed`.
    public func accessKeyLastUsed(accessKeyID: String) async throws(AWSError) -> IAMAccessKeyLastUsed {
        let tree = try await client.query(Self.service, action: "GetAccessKeyLastUsed", parameters: [("AccessKeyId", accessKeyID)])
        let result = try client.result(tree, service: Self.service, action: "GetAccessKeyLastUsed")
        let used = result.child("AccessKeyLastUsed")
        return IAMAccessKeyLastUsed(userName: result.string("UserName"), lastUsedDate: AWSDate.parse(used?.string("LastUsedDate")),
                                    serviceName: used?.string("ServiceName"), region: used?.string("Region"))
    }

    func userParameter(_ userName: String?) -> [(String, String)] {
        userName.map { [("UserName", $0)] } ?? []
    }

    func metadata(_ node: XMLTree, id: String) -> IAMAccessKeyMetadata {
        IAMAccessKeyMetadata(accessKeyID: id, userName: node.string("UserName"),
                             status: IAMAccessKeyStatus(rawValue: node.string("Status") ?? "") ?? .inactive,
                             createDate: AWSDate.parse(node.string("CreateDate")))
    }
}
