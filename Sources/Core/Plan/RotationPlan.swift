import Crypto
import Foundation

/// The named steps one rotation will run, fixed when it is requested. An approval is bound to the
/// plan's digest: if the plan changed after approval, the rotation does not run.
public struct RotationPlan: Sendable, Codable, Hashable {
    public var secretID: String
    public var strategy: String
    public var environment: String
    public var steps: [PlannedStep]
    public var checks: [CheckDefinition]
    /// Nil where the secret has no grace period; zero for a leak response.
    public var grace: Duration?
    public var leaked: Bool

    /// SHA-256 over the plan's canonical JSON. Holds no secret: a plan names steps, never values.
    public var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

/// One step of a plan: the Commands file's step plus its readable title.
public struct PlannedStep: Sendable, Codable, Hashable {
    public var index: Int
    public var definition: StepDefinition
    public var title: String

    public var name: String { definition.name }
    public var kind: StepKind { definition.kind }
}
