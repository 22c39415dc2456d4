import AegisCore
import Foundation

/// A secret in a JSON request body. It stays a `SecretValue` until the encoder writes the
/// request, the one place it must be plain text.
struct WireSecret: Encodable, Sendable {
    let value: SecretValue

    init(_ value: SecretValue) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.revealSecretString())
    }
}

/// A secret in a JSON answer, wrapped as soon as it is decoded.
struct DecodedSecret: Decodable, Sendable {
    let value: SecretValue

    init(from decoder: any Decoder) throws {
        value = SecretValue(utf8: try decoder.singleValueContainer().decode(String.self))
    }
}

/// A binary secret in a JSON answer (base64 text), wrapped as soon as it is decoded.
struct DecodedBinarySecret: Decodable, Sendable {
    let value: SecretValue

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "SecretBinary is not base64"))
        }
        value = SecretValue(bytes: Array(data))
    }
}
