import AegisCore
import Foundation

/// A replication group as `DescribeReplicationGroups` / `ModifyReplicationGroup` answer it, as far
/// as an AUTH-token change needs: its status and when its token last changed.
public struct ElastiCacheReplicationGroup: Sendable, Hashable {
    public var id: String
    /// `available`, `modifying`, `creating`, …
    public var status: String
    public var authTokenEnabled: Bool
    public var authTokenLastModified: Date?

    public var isAvailable: Bool { status == "available" }
}

/// How `ModifyReplicationGroup` changes the AUTH token: `ROTATE` adds one (the old stays valid),
/// `SET` leaves only the given one (allowed after a `ROTATE`).
public enum ElastiCacheTokenStrategy: String, Sendable {
    case rotate = "ROTATE"
    case set = "SET"
}

/// The ElastiCache operations the AUTH-token rotation makes (Query protocol, 2015-02-02).
public struct ElastiCacheReplicationGroups: Sendable {
    let client: AWSClient
    static let service = AWSService.elastiCache

    public init(client: AWSClient) { self.client = client }

    /// ElastiCache's token rules: 16–128 printable ASCII characters, none of `/ " @ %`. Checked
    /// before the call, so a bad generator setting is refused without a round trip.
    public static func isValidToken(_ token: SecretValue) -> Bool {
        let bytes = token.revealSecretBytes()
        return (16...128).contains(bytes.count) && bytes.allSatisfy { (0x21...0x7E).contains($0) && !"/\"@%".utf8.contains($0) }
    }

    public func describe(_ id: String) async throws(AWSError) -> ElastiCacheReplicationGroup {
        try await client.queryRecord(Self.service, action: "DescribeReplicationGroups", parameters: [("ReplicationGroupId", id)],
                                     element: "ReplicationGroup", subject: id, parse: Self.group)
    }

    /// `ModifyReplicationGroup` with `AuthToken`, `AuthTokenUpdateStrategy` and
    /// `ApplyImmediately`. The token goes on the wire only.
    public func modifyAuthToken(_ id: String, token: SecretValue, strategy: ElastiCacheTokenStrategy) async throws(AWSError) -> ElastiCacheReplicationGroup {
        try await client.queryRecord(Self.service, action: "ModifyReplicationGroup", parameters: [
            ("ReplicationGroupId", id), ("AuthToken", token.revealSecretString()),
            ("AuthTokenUpdateStrategy", strategy.rawValue), ("ApplyImmediately", "true"),
        ], element: "ReplicationGroup", subject: id, parse: Self.group)
    }

    static func group(_ node: XMLTree) -> ElastiCacheReplicationGroup? {
        guard let id = node.string("ReplicationGroupId") else { return nil }
        return ElastiCacheReplicationGroup(id: id, status: node.string("Status") ?? "", authTokenEnabled: node.string("AuthTokenEnabled") == "true",
                                           authTokenLastModified: AWSDate.parse(node.string("AuthTokenLastModifiedDate")))
    }
}
