import AegisCore
import Foundation

/// A DB instance as `DescribeDBInstances` / `ModifyDBInstance` answer it, as far as rotating its
/// managed master password needs.
public struct RDSInstance: Sendable, Hashable {
    /// The Secrets Manager secret RDS keeps the master user's credentials in, and how RDS sees it.
    public struct MasterUserSecret: Sendable, Hashable {
        public var arn: String
        /// `creating`, `active`, `rotating` or `impaired`.
        public var status: String

        public var isRotating: Bool { status == "rotating" }
        public var isImpaired: Bool { status == "impaired" }
    }

    public var id: String
    /// `available`, `modifying`, …
    public var status: String
    public var masterUsername: String?
    /// Nil when RDS does not manage the master password (`ManageMasterUserPassword` off).
    public var masterUserSecret: MasterUserSecret?
}

/// The RDS operations the managed master password rotation makes (Query protocol, 2014-10-31).
public struct RDSInstances: Sendable {
    let client: AWSClient
    static let service = AWSService.rds

    public init(client: AWSClient) { self.client = client }

    public func describe(_ id: String) async throws(AWSError) -> RDSInstance {
        try await client.queryRecord(Self.service, action: "DescribeDBInstances", parameters: [("DBInstanceIdentifier", id)],
                                     element: "DBInstance", subject: id, parse: Self.instance)
    }

    /// `ModifyDBInstance` with `RotateMasterUserPassword` and `ApplyImmediately` (RDS refuses the
    /// rotation without it). RDS then rotates the secret itself; no value goes on the wire.
    public func rotateMasterUserPassword(_ id: String) async throws(AWSError) -> RDSInstance {
        try await client.queryRecord(Self.service, action: "ModifyDBInstance", parameters: [
            ("DBInstanceIdentifier", id), ("RotateMasterUserPassword", "true"), ("ApplyImmediately", "true"),
        ], element: "DBInstance", subject: id, parse: Self.instance)
    }

    static func instance(_ node: XMLTree) -> RDSInstance? {
        guard let id = node.string("DBInstanceIdentifier") else { return nil }
        let secret = node.child("MasterUserSecret").flatMap { secret in
            secret.string("SecretArn").map { RDSInstance.MasterUserSecret(arn: $0, status: secret.string("SecretStatus") ?? "") }
        }
        return RDSInstance(id: id, status: node.string("DBInstanceStatus") ?? "", masterUsername: node.string("MasterUsername"),
                           masterUserSecret: secret)
    }
}
