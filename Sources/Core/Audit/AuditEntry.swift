import Foundation

/// What happened, by whom, to what. Details hold version IDs, step names and reasons, never a
/// secret value or an unsalted hash of one.
public struct AuditEntry: Sendable, Codable, Hashable {
    public var actor: String
    public var action: AuditAction
    public var rotationID: RotationID?
    public var secretID: String?
    public var details: [String: String]

    public init(actor: String, action: AuditAction, rotationID: RotationID? = nil, secretID: String? = nil, details: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.rotationID = rotationID
        self.secretID = secretID
        self.details = details
    }
}

/// An entry sealed into the hash chain. `body` is the exact canonical text the hash covers, so a
/// change to any byte of it, or of `hash`/`previousHash`, breaks the chain.
public struct AuditRecord: Sendable, Hashable {
    public var sequence: Int
    public var body: String
    public var previousHash: String
    public var hash: String

    public init(sequence: Int, body: String, previousHash: String, hash: String) {
        self.sequence = sequence
        self.body = body
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The entry the body holds, if it still parses.
    public var entry: SealedAuditBody? {
        try? JSONDecoder().decode(SealedAuditBody.self, from: Data(body.utf8))
    }
}

/// The canonical body of a sealed record.
public struct SealedAuditBody: Sendable, Codable, Hashable {
    public var sequence: Int
    public var at: String
    public var actor: String
    public var action: AuditAction
    public var rotationID: RotationID?
    public var secretID: String?
    public var details: [String: String]
}
