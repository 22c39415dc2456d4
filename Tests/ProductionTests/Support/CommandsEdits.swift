import AegisTestServers
import Foundation

/// The Commands file edits the production tests run with (`Scenario.start(edit:)`): strategy and
/// format switches an operator would make in the file, written once.
enum CommandsEdits {
    typealias Edit = [String: @Sendable (String) -> String]

    static let jwtVerifyFirst: Edit = ["jwt-signing-key.yaml": {
        $0.replacingOccurrences(of: "strategy: single-rollout", with: "strategy: verify-first")
    }]

    static let jwtVerifyFirstRS256: Edit = ["jwt-signing-key.yaml": {
        $0.replacingOccurrences(of: "strategy: single-rollout", with: "strategy: verify-first")
            .replacingOccurrences(of: "format: jwt-hs256", with: "format: jwt-rs256")
    }]

    static let jwtInSecret: Edit = ["jwt-signing-key.yaml": {
        $0.replacingOccurrences(of: "  configmap: aegis-config", with: "  secret: aegis-jwt")
    }]

    /// The JWT signing key kept in GCP Secret Manager (`projects/<the fake's project>/secrets/jwt-signing-key`).
    static let jwtInGCP: Edit = ["jwt-signing-key.yaml": {
        $0.replacingOccurrences(of: "  kind: aws-secrets-manager\n  name: aegis/jwt-signing-key",
                                with: "  kind: gcp-secret-manager\n  container: \(GCPFake.project)\n  name: jwt-signing-key")
    }]

    static let postgresAWSManaged: Edit = ["postgres-password.yaml": {
        $0.replacingOccurrences(of: "strategy: manual", with: "strategy: aws-managed")
    }]

    /// RDS's managed master password (the Commands file ships the `rds-managed` strategy whole).
    static let postgresRDSManaged: Edit = ["postgres-password.yaml": {
        $0.replacingOccurrences(of: "strategy: manual", with: "strategy: rds-managed")
    }]

    static let redisRequirepass: Edit = ["redis-auth-token.yaml": {
        $0.replacingOccurrences(of: "\nstrategy: acl\n", with: "\nstrategy: requirepass\n")
    }]

    /// Only the `strategy:` line changes: the Commands file ships the elasticache strategy whole.
    static let redisElastiCache: Edit = ["redis-auth-token.yaml": {
        $0.replacingOccurrences(of: "\nstrategy: acl\n", with: "\nstrategy: elasticache\n")
    }]
}
