import Foundation

/// The name of a registered type (a step, check or store type) as a Commands file writes it:
/// `kind: generate`, `kind: okta-token-check`. Open on purpose: the core names only its generic
/// types; every adapter module declares the names of its own, and a name no module registered is
/// a load error that lists the registered ones.
///
/// `Kind` only keeps a step type's name from being passed where a check type's is expected.
public struct RegisteredName<Kind: RegisteredKind>: RawRepresentable, Hashable, Comparable, Codable, Sendable,
    ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a ``RegisteredName`` names; the word used for it in messages.
public protocol RegisteredKind: Sendable {
    static var word: String { get }
}

public enum StepTypeKind: RegisteredKind { public static let word = "step kind" }
public enum CheckTypeKind: RegisteredKind { public static let word = "check kind" }
public enum StoreTypeKind: RegisteredKind { public static let word = "storage kind" }

/// A step type's name (`kind:` of a step).
public typealias StepTypeName = RegisteredName<StepTypeKind>
/// A check type's name (`kind:` of a `verify:` entry).
public typealias CheckTypeName = RegisteredName<CheckTypeKind>
/// A secret store type's name (`storage.kind`).
public typealias StoreTypeName = RegisteredName<StoreTypeKind>
