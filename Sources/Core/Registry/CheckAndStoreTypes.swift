import Foundation

/// One verification check type, declared by the module that runs it (see ``StepType``).
public struct CheckType: Sendable {
    public var name: CheckTypeName
    public var parameters: ParameterSchema
    /// What a production run needs, by setting names.
    public var needs: String
    /// True when the check reads a live service the local sandbox does not have (the aegis-api's
    /// health and logs): in the sandbox it reports "not applicable" instead of failing.
    public var needsLiveService: Bool
    public var validate: @Sendable ([String: String]) throws(ParameterProblem) -> Void
    /// How the check reads in a plan and in results: "health .components.identity_provider".
    public var title: @Sendable ([String: String]) -> String

    public init(name: CheckTypeName, parameters: ParameterSchema = ParameterSchema(), needs: String, needsLiveService: Bool = false,
                validate: @escaping @Sendable ([String: String]) throws(ParameterProblem) -> Void = { _ in },
                title: @escaping @Sendable ([String: String]) -> String) {
        self.name = name
        self.parameters = parameters
        self.needs = needs
        self.needsLiveService = needsLiveService
        self.validate = validate
        self.title = title
    }
}

/// One secret store type, declared by the module that provides the store.
public struct StoreType: Sendable {
    public var name: StoreTypeName
    /// Whether `storage.container` (a vault) is required.
    public var needsContainer: Bool
    /// What a production run needs, by setting names.
    public var needs: String

    public init(name: StoreTypeName, needsContainer: Bool = false, needs: String) {
        self.name = name
        self.needsContainer = needsContainer
        self.needs = needs
    }
}
