import Foundation
/// A verification check from a Commands file's `verify:` list. Its type is registered by the
/// module that runs it (``CheckType``); the title is fixed at load, from the type, so a frozen plan
/// reads the same whatever build resumes it.
public struct CheckDefinition: Sendable, Codable, Hashable {
    public var kind: CheckTypeName
    public var parameters: [String: String]
    public var line: Int
    /// How the check reads in results: "health .components.identity_provider".
    public var title: String

    public init(kind: CheckTypeName, parameters: [String: String] = [:], line: Int = 0, title: String? = nil) {
        self.kind = kind
        self.parameters = parameters
        self.line = line
        self.title = title ?? "\(kind) check"
    }

    enum CodingKeys: String, CodingKey { case kind, parameters, line, title }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(CheckTypeName.self, forKey: .kind)
        parameters = try container.decode([String: String].self, forKey: .parameters)
        line = try container.decodeIfPresent(Int.self, forKey: .line) ?? 0
        title = try container.decodeIfPresent(String.self, forKey: .title) ?? "\(kind) check"
    }
}
