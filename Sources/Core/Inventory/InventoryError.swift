import Foundation
/// A Commands file that cannot be loaded. Always names the file, the line and the key.
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var key: String
    public var problem: String

    public init(file: String, line: Int, key: String, problem: String) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(file):\(line): key '\(key)': \(problem)" }
}

/// Every problem found in the inventory folder, so one run shows them all.
public struct InventoryLoadError: Error, Sendable, CustomStringConvertible {
    public var errors: [InventoryError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
