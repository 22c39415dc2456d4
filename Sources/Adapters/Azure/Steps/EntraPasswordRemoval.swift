import AegisCore
import Foundation

/// An old client secret's removal, due after the grace period. Non-secret (application object ID
/// and `keyId`), so a durable timer's payload can hold it.
public struct EntraPasswordRemoval: Sendable, Hashable {
    public var id: String
    public var rotationID: RotationID
    public var application: String
    public var keyID: String
    public var dueAt: Date

    public init(id: String, rotationID: RotationID, application: String, keyID: String, dueAt: Date) {
        self.id = id
        self.rotationID = rotationID
        self.application = application
        self.keyID = keyID
        self.dueAt = dueAt
    }

    public static func id(rotationID: RotationID, step: String) -> String { "entra-remove-\(rotationID)-\(step)" }

    public var payload: [String: String] { ["application_object_id": application, "key_id": keyID] }
}

/// The durable timer's half of `remove-old`: `removePassword` of the old `keyId`, confirmed with
/// a read. A password already gone counts as done.
public struct EntraPasswordRemovalAction: DeferredAction {
    public static let name = "entra-remove-password"
    let graph: GraphApplications

    public init(graph: GraphApplications) { self.graph = graph }

    public func perform(payload: [String: String]) async throws -> String {
        guard let application = payload["application_object_id"], let keyID = payload["key_id"] else {
            throw StepError.misconfigured("the removal timer lacks application_object_id or key_id")
        }
        do {
            return try await graph.removePasswordIfPresent(application: application, keyID: keyID)
                ? "removed the old client secret \(keyID) of application \(application) after the grace period; this cannot be undone"
                : "the old client secret \(keyID) of application \(application) was already removed"
        } catch {
            throw error.adapterError
        }
    }
}
