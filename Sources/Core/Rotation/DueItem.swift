import Foundation

/// Whether a secret is due for rotation.
public struct DueItem: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Codable {
        case ok
        case dueSoon = "due-soon"
        case overdue
        /// The store could not say when it last changed.
        case unknown
    }

    public var secretID: String
    public var every: String
    public var lastRotated: Date?
    public var nextDue: Date?
    public var status: Status
    public var note: String?

    public init(secretID: String, every: String, lastRotated: Date? = nil, nextDue: Date? = nil, status: Status, note: String? = nil) {
        self.secretID = secretID
        self.every = every
        self.lastRotated = lastRotated
        self.nextDue = nextDue
        self.status = status
        self.note = note
    }
}
