import AegisCore
import Foundation

/// An old access key's deletion, due after the grace period. Non-secret (user and key ID), so a
/// durable timer's payload can hold it (`payload` / `init(payload:)`).
public struct IAMKeyDeletion: Sendable, Hashable {
    public var id: String
    public var rotationID: RotationID
    public var userName: String
    public var accessKeyID: String
    public var dueAt: Date

    public init(id: String, rotationID: RotationID, userName: String, accessKeyID: String, dueAt: Date) {
        self.id = id
        self.rotationID = rotationID
        self.userName = userName
        self.accessKeyID = accessKeyID
        self.dueAt = dueAt
    }

    public static func id(rotationID: RotationID, step: String) -> String { "iam-delete-\(rotationID)-\(step)" }

    /// For a timer's non-secret payload.
    public var payload: [String: String] { ["iam_user": userName, "access_key_id": accessKeyID] }

    /// What the timer does when due: deletes the key only while it is still Inactive. A key
    /// switched back on during the grace period (someone undid the switch-over by hand) is left
    /// alone and reported, never deleted from under a running service.
    public func perform(iam: IAMAccessKeys) async throws(AWSError) -> String {
        let keys = try await iam.listAccessKeys(userName: userName)
        guard let key = keys.first(where: { $0.accessKeyID == accessKeyID }) else {
            return "old access key \(accessKeyID) of \(userName) was already deleted"
        }
        guard key.status == .inactive else {
            return "left old access key \(accessKeyID) of \(userName) alone: it is Active again"
        }
        try await iam.deleteAccessKey(accessKeyID: accessKeyID, userName: userName)
        return "deleted old access key \(accessKeyID) of \(userName) after the grace period"
    }
}
