import Foundation

/// How state stores keep records: the core's Codable types as JSON with sorted keys, beside the
/// columns queries need. The JSON holds version IDs and never a secret value.
public struct StateRecordCoding: Sendable {
    let encoder: JSONEncoder
    let decoder = JSONDecoder()

    public init() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.encoder = encoder
    }

    public func encode<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    public func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try decoder.decode(type, from: Data(text.utf8)) }
}
