import AegisCore
import Foundation

/// What the identity platform, Graph or Key Vault answered, reduced to what is safe to post.
///
/// The three services have three error bodies: the token endpoint's
/// `{error, error_description: "AADSTSn: text Trace ID: …", error_codes}`, Graph's
/// `{error: {code, message}}` and Key Vault's `{error: {code, message, innererror: {code}}}`.
/// Only the codes and the provider's sentence (clipped, cut before the trace IDs, and scrubbed of
/// anything shaped like a credential and of the values the request carried) are kept.
public struct AzureError: Error, Sendable, CustomStringConvertible {
    public enum Service: String, Sendable {
        case identity = "entra-id"
        case graph = "microsoft-graph"
        case keyVault = "azure-key-vault"
    }

    public var service: Service
    public var operation: String
    /// HTTP status; 0 when the service was not reached (or answered something unreadable).
    public var status: Int
    /// `invalid_client`, `Request_ResourceNotFound`, `SecretNotFound`…
    public var code: String?
    /// The AADSTS number or Key Vault's inner code (`SecretDisabled`).
    public var detailCode: String?
    public var message: String?

    /// 429, 5xx and an unreachable service are worth retrying; other refusals will not change.
    public var isTransient: Bool { status == 0 || status == 429 || status >= 500 }
    /// The token endpoint refused the client's credential (AADSTS7000215 wrong secret,
    /// 7000222 expired secret, 700016 unknown client).
    public var isCredentialRefused: Bool {
        service == .identity && ["invalid_client", "unauthorized_client"].contains(code ?? "")
    }
    public var isNotFound: Bool { status == 404 }

    public var description: String {
        let detail = [code, detailCode, message].compactMap { $0 }.joined(separator: " ")
        return "\(service.rawValue) \(operation): " + (status == 0 ? "" : "HTTP \(status)") + (detail.isEmpty ? "" : (status == 0 ? "" : " ") + detail)
    }

    public var adapterError: AdapterError {
        let text = description.dropFirst("\(service.rawValue) \(operation): ".count)
        return AdapterError(system: service.rawValue, operation: operation, message: String(text), isTransient: isTransient)
    }

    init(service: Service, operation: String, status: Int, code: String?, detailCode: String?, message: String?) {
        self.service = service
        self.operation = operation
        self.status = status
        self.code = code
        self.detailCode = detailCode
        self.message = message
    }

    /// Reads the service's error body; `secrets` are the values the request carried, scrubbed
    /// wherever the provider quoted them.
    init(service: Service, operation: String, status: Int, body: Data, secrets: [SecretValue] = []) {
        self.service = service
        self.operation = operation
        self.status = status
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        switch service {
        case .identity:
            code = (object?["error"] as? String).map { Self.clip($0, 40) }
            let description = object?["error_description"] as? String
            if let number = (object?["error_codes"] as? [Any])?.first.flatMap({ "\($0)" }), number != "0" {
                detailCode = "AADSTS" + Self.clip(number, 12)
            }
            message = description.map { text in
                var sentence = text
                if let range = sentence.range(of: " Trace ID:") { sentence = String(sentence[..<range.lowerBound]) }
                if let colon = sentence.range(of: ": "), sentence.hasPrefix("AADSTS") { sentence = String(sentence[colon.upperBound...]) }
                return Self.scrub(sentence, secrets: secrets)
            }
        case .graph, .keyVault:
            let error = object?["error"] as? [String: Any]
            code = (error?["code"] as? String).map { Self.clip($0, 60) }
            detailCode = ((error?["innererror"] as? [String: Any])?["code"] as? String).map { Self.clip($0, 60) }
            message = (error?["message"] as? String).map { Self.scrub($0, secrets: secrets) }
        }
    }

    init(service: Service, operation: String, unreachable: any Error) {
        self.init(service: service, operation: operation, status: 0, code: nil, detailCode: nil,
                  message: "unreachable (\(type(of: unreachable)))")
    }

    static func clip(_ text: String, _ length: Int) -> String { String(text.prefix(length)) }

    /// The provider's sentence without credential-shaped words: the request's own values, and any
    /// word of 16+ characters that is not a GUID or plain letters (a secret, a JWT, a hash).
    static func scrub(_ text: String, secrets: [SecretValue]) -> String {
        var result = String(text.prefix(240))
        for secret in secrets where secret.byteCount >= 4 {
            result = result.replacingOccurrences(of: secret.revealSecretString(), with: "<redacted>")
            result = result.replacingOccurrences(of: secret.revealSecretString().prefix(12), with: "<redacted>")
        }
        let words = result.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let core = word.trimmingCharacters(in: CharacterSet(charactersIn: "'\".,;:()[]{}"))
            guard core.count >= 16, !isGUID(core), !core.allSatisfy(\.isLetter), !isVersionID(core) else { return String(word) }
            return "<redacted>"
        }
        return words.joined(separator: " ")
    }

    static func isGUID(_ text: String) -> Bool {
        UUID(uuidString: text) != nil
    }

    /// A Key Vault version ID (32 lower-case hex digits), quoted by "secret … was not found".
    static func isVersionID(_ text: String) -> Bool {
        text.count == 32 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
