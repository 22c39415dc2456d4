import Foundation
/// An error from a store, target or provider. `description` is safe for chat and logs: it never
/// holds a secret, and says what failed where.
public struct AdapterError: Error, Sendable, CustomStringConvertible {
    public var system: String
    public var operation: String
    public var message: String
    /// Worth retrying (timeouts, 5xx, throttling); false for refusals that will not change.
    public var isTransient: Bool

    public init(system: String, operation: String, message: String, isTransient: Bool) {
        self.system = system
        self.operation = operation
        self.message = message
        self.isTransient = isTransient
    }

    public var description: String { "\(system) \(operation): \(message)" }
}
