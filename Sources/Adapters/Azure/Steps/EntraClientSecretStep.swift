import AegisCore
import Foundation

/// `entra-client-secret` (params `application_object_id`, `client_id`, `phase`, optional
/// `valid_for`): an Entra application's two-secret overlap, in two phases a Commands file places
/// around promote / restart / verify:
///
/// - `add`: Graph `addPassword` (display name `aegis <rotation ID>`, the marker that finds an
///   interrupted run's password), the secret stored as the pending Key Vault version tagged with
///   its `keyId`;
/// - `remove-old`: `removePassword` of the old `keyId`, at once when the plan has no grace (a leak
///   response), otherwise a durable deferred action due after the grace period. Cannot be undone,
///   so the type is irreversible and must follow `verify`.
///
/// Facts hold key IDs, version IDs and the marker only.
public struct EntraClientSecretStep: StepExecutor {
    public enum Fact {
        public static let marker = "entra.marker"
        public static let oldKeyID = "entra.key.old"
        public static let newKeyID = "entra.key.new"
        public static let removalDue = "entra.key.old.removal-due"
        public static let removed = "entra.key.old.removed"
    }

    public enum Phase: String, Sendable, CaseIterable {
        case add
        case removeOld = "remove-old"
    }

    /// How long a new secret is valid when the step has no `valid_for`.
    static let defaultValidity: Duration = .seconds(730 * 86_400)

    let graph: GraphApplications
    let vault: AzureKeyVaultStore
    let scheduleRemoval: @Sendable (EntraPasswordRemoval) async throws -> Void
    let cancelRemoval: @Sendable (String) async throws -> Void

    public init(graph: GraphApplications, vault: AzureKeyVaultStore,
                scheduleRemoval: @escaping @Sendable (EntraPasswordRemoval) async throws -> Void,
                cancelRemoval: @escaping @Sendable (String) async throws -> Void) {
        self.graph = graph
        self.vault = vault
        self.scheduleRemoval = scheduleRemoval
        self.cancelRemoval = cancelRemoval
    }

    public func run(_ context: StepContext) async throws -> String {
        let application = try Self.application(context)
        switch try Self.phase(context) {
        case .add: return try await add(application: application, context)
        case .removeOld: return try await removeOld(application: application, context)
        }
    }

    public func rollback(_ context: StepContext) async throws -> String? {
        let application = try Self.application(context)
        switch try Self.phase(context) {
        case .add: return try await undoAdd(application: application, context)
        case .removeOld: return try await undoRemoveOld(application: application, context)
        }
    }

    static func application(_ context: StepContext) throws -> String {
        guard let id = context.step.definition.text(EntraParameters.applicationObjectID), UUID(uuidString: id) != nil else {
            throw StepError.misconfigured("step '\(context.step.name)' needs the application's Graph object ID (param 'application_object_id')")
        }
        return id.lowercased()
    }

    static func phase(_ context: StepContext) throws -> Phase {
        guard let text = context.step.definition.text("phase"), let phase = Phase(rawValue: text) else {
            throw StepError.misconfigured("step '\(context.step.name)' needs a phase: " + Phase.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return phase
    }

    static func marker(_ context: StepContext) -> String { "aegis \(context.rotation.id)" }

    /// Runs a Graph call, turning ``AzureError`` into core's `AdapterError` (retried when transient).
    func azure<T>(_ body: () async throws(AzureError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw error.adapterError
        }
    }
}

/// The parameter names and load-time rules of `entra-client-secret`.
enum EntraParameters {
    static let applicationObjectID = "application_object_id"
    static let clientID = "client_id"
    static let validFor = "valid_for"
    /// The rotated app's tenant when it is not the bot's own (`AZURE_TENANT_ID`).
    static let tenantID = "tenant_id"

    static let schema = ParameterSchema(allowed: [validFor, tenantID], required: [applicationObjectID, clientID, "phase"])

    static func validate(_ step: StepDefinition, _ secret: SecretDefinition) throws(ParameterProblem) {
        for key in [applicationObjectID, clientID] {
            guard let text = step.text(key), UUID(uuidString: text) != nil else {
                throw ParameterProblem(key: key, "must be a GUID (the app registration's \(key == clientID ? "Application (client) ID" : "Object ID"))")
            }
        }
        if let tenant = step.text(tenantID), UUID(uuidString: tenant) == nil {
            throw ParameterProblem(key: tenantID, "must be a GUID (the Directory (tenant) ID)")
        }
        try ParameterRules.oneOf(step, "phase", EntraClientSecretStep.Phase.allCases.map(\.rawValue))
        try ParameterRules.duration(step, validFor)
        // One type with a reversible and an irreversible phase: the catalog's `irreversible` flag
        // would refuse `add` before verify, so the rule for `remove-old` is checked here.
        if step.text("phase") == EntraClientSecretStep.Phase.removeOld.rawValue {
            for steps in secret.strategies.values {
                guard let index = steps.firstIndex(of: step) else { continue }
                guard steps[..<index].contains(where: { $0.kind == .verify }) else {
                    throw ParameterProblem(key: "phase", "remove-old cannot be undone, so it must come after a verify step")
                }
            }
        }
        guard secret.storage.kind == .azureKeyVault else {
            throw ParameterProblem(key: "kind", "an Entra client secret is kept in azure-key-vault (the store records each secret's keyId)")
        }
    }
}
