import Foundation

/// Every step, check and store type this build knows, gathered from the adapter modules'
/// declarations. The inventory is loaded against it: a Commands file may name only registered
/// types, with the parameters their schemas allow.
public struct TypeCatalog: Sendable {
    public private(set) var steps: [StepTypeName: StepType] = [:]
    public private(set) var checks: [CheckTypeName: CheckType] = [:]
    public private(set) var stores: [StoreTypeName: StoreType] = [:]

    public init() {}

    /// The core's generic steps and checks, which every build has.
    public static var core: TypeCatalog {
        var catalog = TypeCatalog()
        CoreTypes.declare(into: &catalog)
        return catalog
    }

    /// Registers a step type. Two modules declaring one name is a programming error, found by the
    /// first test that builds the catalog.
    public mutating func register(_ type: StepType) {
        precondition(steps[type.name] == nil, "step type '\(type.name)' is registered twice")
        steps[type.name] = type
    }

    public mutating func register(_ type: CheckType) {
        precondition(checks[type.name] == nil, "check type '\(type.name)' is registered twice")
        checks[type.name] = type
    }

    public mutating func register(_ type: StoreType) {
        precondition(stores[type.name] == nil, "store type '\(type.name)' is registered twice")
        stores[type.name] = type
    }

    public func step(_ name: StepTypeName) -> StepType? { steps[name] }
    public func check(_ name: CheckTypeName) -> CheckType? { checks[name] }
    public func store(_ name: StoreTypeName) -> StoreType? { stores[name] }

    /// A registered step's headline; the bare name for a type this build does not know (a frozen
    /// plan from another build).
    public func headline(of name: StepTypeName) -> String { steps[name]?.headline ?? name.rawValue }
}
