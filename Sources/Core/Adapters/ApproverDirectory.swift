import Foundation
/// Who may approve: the members of the approver channel (`#security-ops`).
public protocol ApproverDirectory: Sendable {
    /// The group's name as people know it, for messages.
    var groupName: String { get }
    /// Asked at click time; implementations may cache briefly.
    func isApprover(_ user: String) async throws -> Bool
}

/// A fixed list of approvers (the shell's local workspace, tests).
public struct StaticApproverDirectory: ApproverDirectory {
    public let groupName: String
    public let members: Set<String>

    public init(groupName: String, members: Set<String>) {
        self.groupName = groupName
        self.members = Set(members.map(PersonName.normalize))
    }

    public func isApprover(_ user: String) async throws -> Bool { members.contains(PersonName.normalize(user)) }
}
