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
    /// Where the secret is stored and deployed: part of what was approved.
    public var storage: StorageLocation?
    public var deploy: DeployLocation?

    /// SHA-256 over the plan's canonical JSON, without source line numbers: the digest covers what
    /// the plan does, so a comment or a blank line added to a Commands file does not void an
    /// approval, while any change of a step, parameter, store, target or check does. Holds no
    /// secret: a plan names steps, never values.
    public var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        let meaning = (try? JSONSerialization.jsonObject(with: data)).map(Self.withoutLines)
        let canonical = meaning.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? data
        return Hex.encode(SHA256.hash(data: canonical))
    }

    static func withoutLines(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { $0.key != "line" }.mapValues(withoutLines)
        }
        if let array = value as? [Any] { return array.map(withoutLines) }
        return value
    }
}

/// One step of a plan: the Commands file's step plus its readable title.
public struct PlannedStep: Sendable, Codable, Hashable {
    public var index: Int
    public var definition: StepDefinition
    public var title: String

    public var name: String { definition.name }
    public var kind: StepTypeName { definition.kind }
}
