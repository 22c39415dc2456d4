import Foundation

/// One step of a strategy, as written in a Commands file.
public struct StepDefinition: Sendable, Codable, Hashable {
    public var name: String
    public var kind: StepTypeName
    public var parameters: [String: StepParameter]
    /// The line of the Commands file the step starts on, for messages.
    public var line: Int

    public init(name: String, kind: StepTypeName, parameters: [String: StepParameter] = [:], line: Int = 0) {
        self.name = name
        self.kind = kind
        self.parameters = parameters
        self.line = line
    }

    public func text(_ key: String) -> String? {
        if case .text(let value) = parameters[key] { return value }
        return nil
    }

    public func list(_ key: String) -> [String] {
        switch parameters[key] {
        case .list(let values): values
        case .text(let value): [value]
        default: []
        }
    }

    public func map(_ key: String) -> [String: String] {
        if case .map(let values) = parameters[key] { return values }
        return [:]
    }
}

/// A step parameter: a scalar, a list of scalars, or a flat mapping.
public enum StepParameter: Sendable, Codable, Hashable {
    case text(String)
    case list([String])
    case map([String: String])
}
