import Foundation

/// A rotation as the state store keeps it. Holds version IDs and people, never a secret value.
public struct RotationRecord: Sendable, Codable, Hashable {
    public var id: RotationID
    public var number: Int
    public var secretID: String
    public var requester: String
    public var reason: String
    public var leaked: Bool
    public var status: RotationStatus
    public var plan: RotationPlan
    public var planDigest: String
    public var requestedAt: Date
    public var expiresAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?
    public var finishedAt: Date?
    /// Where the request was made and where its messages live (opaque to the core).
    public var origin: ChatOrigin
    /// Non-secret facts steps record before their side effects: version IDs, prior config state.
    public var facts: [String: String]
    /// A safe, human-readable reason for a failure or rollback.
    public var failure: String?
    /// The secret's definition as it was when requested: the engine runs (and rolls back) this
    /// one, never the Commands file as it is later. Nil in records written before it was kept.
    public var definition: SecretDefinition?
    /// The latest answer to this rotation's escalation (`/rotate ack`, `/rotate resolve`, or a
    /// later successful rotation). Nil until someone answers.
    public var escalationHandling: EscalationHandling?

    public func isExpired(at now: Date) -> Bool { now >= expiresAt }
}

/// The chat place a rotation belongs to. `messageRef` is the request message (updated in place)
/// and the thread parent; front ends fill it in after posting.
public struct ChatOrigin: Sendable, Codable, Hashable {
    public var channel: String
    public var messageRef: String?

    public init(channel: String, messageRef: String? = nil) {
        self.channel = channel
        self.messageRef = messageRef
    }
}

/// One step's progress as the state store keeps it.
public struct StepRecord: Sendable, Codable, Hashable {
    public var rotationID: RotationID
    public var index: Int
    public var name: String
    public var status: StepStatus
    public var startedAt: Date?
    public var endedAt: Date?
    public var attempts: Int
    public var summary: String?
    public var error: String?
    /// The replica that ran the step's latest attempt (its lease owner).
    public var owner: ReplicaOwner?

    public init(rotationID: RotationID, index: Int, name: String, status: StepStatus = .pending) {
        self.rotationID = rotationID
        self.index = index
        self.name = name
        self.status = status
        self.attempts = 0
    }

    public var duration: TimeInterval? {
        guard let startedAt, let endedAt else { return nil }
        return endedAt.timeIntervalSince(startedAt)
    }
}

/// Well-known fact keys.
public enum FactKey {
    public static let newVersion = "version.new"
    public static let oldVersion = "version.old"
    /// `before.<step>.<config key>`: the version ID a config key held before that step changed
    /// it, `absent`, or `unknown` (a value without a version ID). Per step, because two steps of
    /// one plan (verify-first JWT) may touch the same key.
    public static func before(step: String, _ configKey: String) -> String { "before.\(step).\(configKey)" }
}
