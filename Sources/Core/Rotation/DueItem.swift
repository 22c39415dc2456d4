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
}
