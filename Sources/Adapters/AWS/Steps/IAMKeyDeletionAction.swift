import AegisCore
import Foundation

/// The durable timer's half of `delete-old-after-grace`: rebuilds the ``IAMKeyDeletion`` from
/// the timer's payload and performs it (deletes the old key only while it is still Inactive).
public struct IAMKeyDeletionAction: DeferredAction {
    public static let name = "iam-delete-access-key"
    let iam: IAMAccessKeys

    public init(iam: IAMAccessKeys) { self.iam = iam }

    public func perform(payload: [String: String]) async throws -> String {
        guard let user = payload["iam_user"], let key = payload["access_key_id"] else {
            throw StepError.misconfigured("the deletion timer lacks iam_user or access_key_id")
        }
        let deletion = IAMKeyDeletion(id: "", rotationID: "", userName: user, accessKeyID: key, dueAt: Date())
        do {
            return try await deletion.perform(iam: iam)
        } catch {
            throw error.adapterError
        }
    }
}
